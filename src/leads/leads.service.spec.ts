import { FixedClock } from '../common/clock/clock';
import { StorageService } from '../storage/storage.service';
import { EntitiesService } from '../entities/entities.service';
import { LeadRow } from './lead-row';
import { LeadChanges, LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';
import { LeadStatus } from './lead.entity';

const ENTITY = '11111111-1111-4111-8111-111111111111';
const LEAD = '22222222-2222-4222-8222-222222222222';

/** An in-memory LeadsRepository with just what the status rule uses. */
class StubLeads {
  row: LeadRow;
  updates: Array<{
    from: LeadStatus;
    to: LeadStatus;
    reachedOutAt: Date | null;
    extra: LeadChanges;
  }> = [];
  /** Simulates another request changing the status between our read and our write. */
  interfere: (() => void) | null = null;

  constructor(status: LeadStatus, reachedOutAt: Date | null = null) {
    const t = new Date('2025-12-01T00:00:00.000Z');
    this.row = {
      id: LEAD,
      entityId: ENTITY,
      firstName: 'A',
      lastName: 'B',
      email: 'a@example.com',
      resumePath: null,
      resumeContentType: null,
      resumeSize: null,
      resumeFileName: null,
      status,
      reachedOutAt,
      notes: null,
      version: 1,
      createdAt: t,
      updatedAt: t,
    };
  }
  async findOneInEntity(entityId: string, id: string) {
    return entityId === ENTITY && id === LEAD ? { ...this.row } : null;
  }
  async updateStatus(
    entityId: string,
    id: string,
    from: LeadStatus,
    to: LeadStatus,
    reachedOutAt: Date | null,
    extra: LeadChanges = {},
  ) {
    if (this.interfere) {
      this.interfere();
      this.interfere = null;
    }
    if (entityId !== ENTITY || id !== LEAD || this.row.status !== from) return false;
    this.updates.push({ from, to, reachedOutAt, extra });
    this.row = { ...this.row, ...extra, status: to, reachedOutAt };
    return true;
  }
  async updateFields(entityId: string, id: string, changes: LeadChanges) {
    if (entityId !== ENTITY || id !== LEAD) return false;
    this.row = { ...this.row, ...changes };
    return true;
  }
}

function service(stub: StubLeads, clock: FixedClock) {
  // The status rule needs neither storage nor entities.
  return new LeadsService(
    stub as unknown as LeadsRepository,
    {} as StorageService,
    {} as EntitiesService,
    clock,
  );
}

describe('LeadsService.changeStatus (the reached-out rule)', () => {
  const clock = new FixedClock(new Date('2026-01-10T09:30:00.123Z'));

  it('sets reachedOutAt to the clock on PENDING → REACHED_OUT', async () => {
    const stub = new StubLeads('PENDING');
    const lead = await service(stub, clock).changeStatus(ENTITY, LEAD, 'REACHED_OUT');
    expect(lead.status).toBe('REACHED_OUT');
    expect(lead.reachedOutAt).toEqual(new Date('2026-01-10T09:30:00.123Z'));
    expect(stub.updates).toEqual([
      { from: 'PENDING', to: 'REACHED_OUT', reachedOutAt: clock.now(), extra: {} },
    ]);
  });

  it('clears reachedOutAt on REACHED_OUT → PENDING', async () => {
    const stub = new StubLeads('REACHED_OUT', new Date('2026-01-01T00:00:00Z'));
    const lead = await service(stub, clock).changeStatus(ENTITY, LEAD, 'PENDING');
    expect(lead).toMatchObject({ status: 'PENDING', reachedOutAt: null });
  });

  it('keeps the original reachedOutAt when REACHED_OUT is set again, and writes nothing', async () => {
    const original = new Date('2026-01-01T00:00:00Z');
    const stub = new StubLeads('REACHED_OUT', original);
    const lead = await service(stub, clock).changeStatus(ENTITY, LEAD, 'REACHED_OUT');
    expect(lead.reachedOutAt).toEqual(original);
    expect(stub.updates).toHaveLength(0);
  });

  it('is a no-op for PENDING → PENDING', async () => {
    const stub = new StubLeads('PENDING');
    const lead = await service(stub, clock).changeStatus(ENTITY, LEAD, 'PENDING');
    expect(lead).toMatchObject({ status: 'PENDING', reachedOutAt: null });
    expect(stub.updates).toHaveLength(0);
  });

  it('re-reads and applies the rule to the new state when another change wins the race', async () => {
    const stub = new StubLeads('PENDING');
    const earlier = new Date('2026-01-09T00:00:00Z');
    stub.interfere = () =>
      (stub.row = { ...stub.row, status: 'REACHED_OUT', reachedOutAt: earlier });
    const lead = await service(stub, clock).changeStatus(ENTITY, LEAD, 'REACHED_OUT');
    // The concurrent request reached out first: its timestamp stays.
    expect(lead.reachedOutAt).toEqual(earlier);
    expect(stub.updates).toHaveLength(0);
  });

  it('answers 404 for a lead of another entity', async () => {
    const stub = new StubLeads('PENDING');
    await expect(
      service(stub, clock).changeStatus(
        '33333333-3333-4333-8333-333333333333',
        LEAD,
        'REACHED_OUT',
      ),
    ).rejects.toMatchObject({
      status: 404,
    });
  });

  it('applies field changes with the status change in one update', async () => {
    const stub = new StubLeads('PENDING');
    await service(stub, clock).update(ENTITY, LEAD, { status: 'REACHED_OUT', notes: 'called' });
    expect(stub.updates).toEqual([
      { from: 'PENDING', to: 'REACHED_OUT', reachedOutAt: clock.now(), extra: { notes: 'called' } },
    ]);
  });
});
