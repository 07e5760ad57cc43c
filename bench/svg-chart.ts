// Hand-written SVG charts for docs/benchmarks.md: grouped bars and lines, with axes, a
// "nice" scale, value labels and a legend. No dependencies; the output is plain text that
// renders on GitHub.

export interface BarSeries { readonly name: string; readonly values: readonly (number | null)[] }
export interface BarChart {
  readonly title: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  /** Optional dashed horizontal line, e.g. a target. */
  readonly reference?: { readonly value: number; readonly label: string };
}
export interface LineSeries { readonly name: string; readonly points: readonly number[] }
export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
}

const WIDTH = 760;
const HEIGHT = 380;
const MARGIN = { top: 48, right: 150, bottom: 56, left: 80 };
const COLORS = ['#2f6fdf', '#e0823b', '#3aa35b', '#b04bc2', '#c23b3b', '#6b6b6b'];
const TICKS = 5;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round axis maximum ≥ max: 1, 2, 2.5 or 5 times a power of ten, times TICKS. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const step = max / TICKS;
  const power = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 5, 10].find((m) => m * power >= step) ?? 10;
  return nice * power * TICKS;
}

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 0 : 1)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function frame(title: string, yLabel: string, xLabel: string, yMax: number, names: readonly string[]): string[] {
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const plotRight = WIDTH - MARGIN.right;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    `<text x="${(MARGIN.left + plotRight) / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
  ];
  for (let i = 0; i <= TICKS; i++) {
    const value = (yMax / TICKS) * i;
    const y = Number((MARGIN.top + plotHeight - (plotHeight * i) / TICKS).toFixed(1));
    parts.push(`<line x1="${MARGIN.left}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${formatNumber(value)}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${plotRight}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`);
  names.forEach((name, i) => {
    const y = MARGIN.top + 8 + i * 20;
    parts.push(`<rect x="${plotRight + 16}" y="${y - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]!}"/>`);
    parts.push(`<text x="${plotRight + 34}" y="${y + 1}">${escapeXml(name)}</text>`);
  });
  return parts;
}

export function barChartSvg(chart: BarChart): string {
  const values = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const yMax = niceMax(Math.max(0, ...values, chart.reference?.value ?? 0));
  const parts = frame(chart.title, chart.yLabel, '', yMax, chart.series.map((s) => s.name));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const groupWidth = plotWidth / Math.max(1, chart.categories.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, chart.series.length);
  chart.categories.forEach((category, c) => {
    const groupX = MARGIN.left + c * groupWidth + groupWidth * 0.1;
    // Two lines (system / mode) keep long labels inside their group.
    const centerX = (MARGIN.left + c * groupWidth + groupWidth / 2).toFixed(1);
    const [first, ...rest] = category.split(' ');
    const label = rest.length === 0 ? escapeXml(category) : `<tspan x="${centerX}">${escapeXml(first ?? '')}</tspan><tspan x="${centerX}" dy="13">${escapeXml(rest.join(' '))}</tspan>`;
    parts.push(`<text x="${centerX}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${label}</text>`);
    chart.series.forEach((series, s) => {
      const value = series.values[c];
      const x = groupX + s * barWidth;
      if (value === null || value === undefined || !Number.isFinite(value)) {
        parts.push(`<text x="${x + barWidth / 2}" y="${MARGIN.top + plotHeight - 4}" text-anchor="middle" fill="#999">–</text>`);
        return;
      }
      const height = (plotHeight * value) / yMax;
      const y = MARGIN.top + plotHeight - height;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${height.toFixed(1)}" fill="${COLORS[s % COLORS.length]!}"><title>${escapeXml(`${series.name} ${category}: ${formatNumber(value)}`)}</title></rect>`);
      parts.push(`<text x="${(x + barWidth / 2 - 1).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="10">${formatNumber(value)}</text>`);
    });
  });
  if (chart.reference !== undefined) {
    const y = MARGIN.top + plotHeight - (plotHeight * chart.reference.value) / yMax;
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#c23b3b" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right - 4}" y="${y - 4}" text-anchor="end" fill="#c23b3b">${escapeXml(chart.reference.label)}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export function lineChartSvg(chart: LineChart): string {
  const values = chart.series.flatMap((s) => s.points.filter((v) => Number.isFinite(v)));
  const yMax = niceMax(Math.max(0, ...values));
  const parts = frame(chart.title, chart.yLabel, chart.xLabel, yMax, chart.series.map((s) => s.name));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xCount = Math.max(2, ...chart.series.map((s) => s.points.length));
  const xOf = (i: number): number => MARGIN.left + (plotWidth * i) / (xCount - 1);
  const xStep = Math.max(1, Math.ceil(xCount / 10));
  for (let i = 0; i < xCount; i += xStep) {
    parts.push(`<text x="${xOf(i).toFixed(1)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${i + 1}</text>`);
  }
  chart.series.forEach((series, s) => {
    const points = series.points.map((v, i) => `${xOf(i).toFixed(1)},${(MARGIN.top + plotHeight - (plotHeight * v) / yMax).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLORS[s % COLORS.length]!}" stroke-width="2"/>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
