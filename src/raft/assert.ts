// Invariant checks for the core. A failure is a bug, never an expected condition: it throws
// with the numbers that broke the invariant so the failing seed can be understood.

export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(message());
}
