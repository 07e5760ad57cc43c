// Issue 17's read-modify-write script, measured in process (apply-path.ts) and on the
// cluster (scripts.ts): GET, INCR and EXPIRE of its one key.

export const RMW_SCRIPT = "local v = redis.call('GET', KEYS[1]) local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return n";
