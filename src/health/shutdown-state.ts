import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives: readiness answers 503 from then on while requests drain. */
@Injectable()
export class ShutdownState {
  draining = false;
}
