import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';

/** The one source of "now". Tests replace it with a FixedClock to move time. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

export class FixedClock extends Clock {
  constructor(private current: Date = new Date('2026-01-01T00:00:00.000Z')) {
    super();
  }
  override now(): Date {
    return new Date(this.current.getTime());
  }
  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

@Global()
@Module({})
export class ClockModule {
  /** `clock` replaces the system clock (tests). */
  static forRoot(clock?: Clock): DynamicModule {
    return {
      module: ClockModule,
      providers: [clock ? { provide: Clock, useValue: clock } : Clock],
      exports: [Clock],
    };
  }
}
