/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: every line must
 * be a HELP, a TYPE or a sample of a declared family, label values properly escaped, values
 * floats. Written here because parse-prometheus-text-format (the npm package tried) drops the
 * labels, sum and count of histograms and accepts malformed lines silently.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
/** Go's strconv.ParseFloat, as Prometheus parses values: Inf and NaN in any case (prom-client writes `Nan`). */
const VALUE =
  /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?inf(?:inity)?|nan)$/i;
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const fail = (n: number, line: string, why: string): never => {
    throw new Error(`line ${n + 1}: ${why}: ${JSON.stringify(line)}`);
  };
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the text must end with a newline');
  lines.forEach((line, n) => {
    if (line === '') return;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
      if (kind === 'HELP') family.help = rest;
      else if (rest in SUFFIXES) family.type = rest as Family['type'];
      else fail(n, line, `unknown type ${rest}`);
      return;
    }
    if (line.startsWith('#')) return; // a plain comment
    const sample = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`).exec(line);
    if (!sample) return fail(n, line, 'not a sample');
    const [, name, rawLabels, rawValue] = sample;
    if (!VALUE.test(rawValue)) fail(n, line, 'not a float value');
    const family = [...families.values()].find((f) =>
      SUFFIXES[f.type].some((suffix) => `${f.name}${suffix}` === name),
    );
    if (!family) return fail(n, line, 'sample of an undeclared family');
    const labels: Record<string, string> = {};
    let rest = rawLabels ?? '';
    const pair = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"(,|$)`);
    while (rest !== '') {
      const m = pair.exec(rest);
      if (!m) return fail(n, line, 'malformed labels');
      if (m[1] in labels) fail(n, line, `label ${m[1]} twice`);
      labels[m[1]] = m[2].replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(m[0].length);
    }
    family.samples.push({ name, labels, value: floatOf(rawValue) });
  });
  return families;
}

/** The value of the one sample named `name` whose labels include `labels` (0 when absent). */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return 0;
}

function floatOf(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === 'nan') return NaN;
  if (/^[+-]?inf/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(raw);
}
