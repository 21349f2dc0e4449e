import { randomUUID } from 'node:crypto';
import { SingleBar, Presets } from 'cli-progress';
import { ModuleRef } from '@nestjs/core';
import { Command, CommandRunner, Option } from 'nest-commander';
import { Clock } from '../common/clock/clock';
import { EntitiesService } from '../entities/entities.service';
import { LEAD_STATUSES } from './lead.entity';
import { LeadInsertRow } from './lead-row';
import { LeadsBulkLoad } from './leads.bulk-load';

const FIRST = (
  'James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica ' +
  'Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra Donald Ashley ' +
  'Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa ' +
  'Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy ' +
  'Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen ' +
  'Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet ' +
  'Zoë José Chloé Björn Łukasz Søren Ana María Aiko Wei Priya Olusegun Fatima Mateo Ingrid'
).split(' ');
const LAST = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson ' +
  'Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson ' +
  'Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell ' +
  'Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales ' +
  'Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson ' +
  'Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers ' +
  'Müller Schmidt Dubois Rossi Kowalski Novák Tanaka Okafor Andersson Fernández'
).split(' ');
const DOMAINS = [
  'example.com',
  'mail.example.org',
  'inbox.example.net',
  'corp.example.io',
  'example.co.uk',
];
const NOTES = [
  'Met at the spring career fair.',
  'Referred by a current employee.',
  'Prefers to be contacted by email.',
  'Interested in remote positions.',
  'Follow up after the holidays.',
];

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z]/gi, '')
    .toLowerCase();
const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
/** Skewed towards the start of the list, like real name frequencies (the first name ≈ 4%, the last ≈ 0.6%). */
const pickCommon = <T>(list: T[]) => list[Math.floor(Math.random() ** 1.5 * list.length)];
const DAY_MS = 24 * 60 * 60 * 1000;

interface SeedOptions {
  leads: number;
  entity: string;
  batch: number;
  days: number;
  parallel: number;
  deferIndexesFrom: number;
}

/**
 * `seed-demo --leads N --entity <id> [--batch 5000] [--parallel 2] [--days 365]`: N realistic
 * leads in an existing entity, created over the last `days` days, about a third reached out.
 * Batches are single statements (PostgreSQL: INSERT … SELECT FROM unnest; SQLite: multi-row
 * VALUES), `parallel` of them in flight. From `--defer-indexes-from` leads on (PostgreSQL),
 * the secondary indexes are dropped for the load and rebuilt once at the end (also when the
 * load fails), then the table is ANALYZEd; queries on the table are slow meanwhile.
 */
@Command({
  name: 'seed-demo',
  description: 'Insert N demo leads into an existing entity (batched, with a progress bar)',
})
export class SeedDemoCommand extends CommandRunner {
  constructor(
    private readonly modules: ModuleRef,
    private readonly entities: EntitiesService,
    private readonly clock: Clock,
  ) {
    super();
  }

  async run(_: string[], options: SeedOptions): Promise<void> {
    // Commands live in the CLI module, which does not import LeadsModule: look the service up app-wide.
    const leads = this.modules.get(LeadsBulkLoad, { strict: false });
    const entity = await this.entities.findActive(options.entity ?? '');
    if (!entity) throw new Error(`seed-demo: no active entity ${options.entity}`);
    const total = options.leads;
    // Emails are unique per run and across runs (run tag), in digits only: no stray letter
    // triplets for substring search to trip over.
    const run = String(Date.now() % 1_000_000);
    const now = this.clock.now().getTime();
    // created_at rises with the row number (leads arrive over time), so the table's physical
    // order follows created_at as it does in production.
    const span = options.days * DAY_MS;
    const step = span / total;
    const started = Date.now();
    const bar = new SingleBar(
      {
        format: 'seed-demo |{bar}| {percentage}% {value}/{total} leads {rate}/s ETA {eta}s',
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0 });
    const make = (from: number, count: number): LeadInsertRow[] => {
      const rows: LeadInsertRow[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const n = from + i;
        const firstName = pickCommon(FIRST);
        const lastName = pickCommon(LAST);
        const createdAt = new Date(Math.floor(now - span + n * step + Math.random() * step));
        const reached = Math.random() < 0.33;
        const reachedOutAt = reached
          ? new Date(Math.min(now, createdAt.getTime() + Math.floor(Math.random() * 14 * DAY_MS)))
          : null;
        rows[i] = {
          id: randomUUID(),
          entityId: entity.id,
          firstName,
          lastName,
          email: `${ascii(firstName)}.${ascii(lastName)}.${n + 1}-${run}@${pick(DOMAINS)}`,
          resumePath: null,
          resumeContentType: null,
          resumeSize: null,
          resumeFileName: null,
          status: reached ? LEAD_STATUSES[1] : LEAD_STATUSES[0],
          reachedOutAt,
          notes: Math.random() < 0.1 ? pick(NOTES) : null,
          createdAt,
          updatedAt: reachedOutAt ?? createdAt,
        };
      }
      return rows;
    };

    // Large loads: rebuild the secondary indexes once at the end instead of maintaining
    // them per row (PostgreSQL only; the trigram GINs dominate otherwise).
    const deferred = total >= options.deferIndexesFrom ? await leads.dropSecondaryIndexes() : [];
    let done = 0;
    const inFlight = new Set<Promise<void>>();
    try {
      for (let from = 0; from < total; from += options.batch) {
        const rows = make(from, Math.min(options.batch, total - from));
        // Up to `parallel` batches in flight: generating the next overlaps writing the previous ones.
        while (inFlight.size >= options.parallel) await Promise.race(inFlight);
        const write: Promise<void> = leads.insertBatch(rows).then(() => {
          inFlight.delete(write);
          done += rows.length;
          const seconds = (Date.now() - started) / 1000;
          bar.update(done, { rate: Math.round(done / Math.max(seconds, 0.001)) });
        });
        inFlight.add(write);
      }
      await Promise.all(inFlight);
    } finally {
      await Promise.allSettled(inFlight);
      bar.stop();
      if (deferred.length > 0) {
        const indexStart = Date.now();
        process.stdout.write(
          `seed-demo: building ${deferred.length} indexes (${deferred.join(', ')})…\n`,
        );
        await leads.restoreIndexes(deferred);
        process.stdout.write(
          `seed-demo: indexes built in ${((Date.now() - indexStart) / 1000).toFixed(1)} s\n`,
        );
      }
    }
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `seed-demo: inserted ${done} leads into ${entity.name} (${entity.id}) in ${seconds.toFixed(1)} s total (${Math.round(done / seconds)}/s)\n`,
    );
  }

  @Option({ flags: '--leads <n>', description: 'how many leads (1–10,000,000)', required: true })
  parseLeads(value: string): number {
    return positive(value, 'leads', 10_000_000);
  }

  @Option({
    flags: '--entity <id>',
    description: 'id of an existing, active entity',
    required: true,
  })
  parseEntity(value: string): string {
    return value;
  }

  @Option({
    flags: '--batch <n>',
    description: 'rows per INSERT (default 5000)',
    defaultValue: 5000,
  })
  parseBatch(value: string): number {
    return positive(value, 'batch', 50_000);
  }

  @Option({
    flags: '--parallel <n>',
    description: 'batches written concurrently (default 2)',
    defaultValue: 2,
  })
  parseParallel(value: string): number {
    return positive(value, 'parallel', 8);
  }

  @Option({
    flags: '--defer-indexes-from <n>',
    description:
      'PostgreSQL: from this many leads on, drop the secondary indexes during the load and rebuild them after (default 50000)',
    defaultValue: 50_000,
  })
  parseDeferIndexesFrom(value: string): number {
    return positive(value, 'defer-indexes-from', 1_000_000_000);
  }

  @Option({
    flags: '--days <n>',
    description: 'spread created_at over the last N days (default 365)',
    defaultValue: 365,
  })
  parseDays(value: string): number {
    return positive(value, 'days', 3650);
  }
}

function positive(value: string, name: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new Error(`seed-demo: --${name} must be an integer from 1 to ${max}`);
  }
  return Number(value);
}
