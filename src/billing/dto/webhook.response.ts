import { ApiProperty } from '@nestjs/swagger';

export class WebhookReceiptResponse {
  /** processed: applied now; duplicate: seen before, nothing changed; ignored: not a handled event. */
  @ApiProperty({ enum: ['processed', 'duplicate', 'ignored'] })
  status: 'processed' | 'duplicate' | 'ignored';
  /** The provider's event id, or the SHA-256 of the raw body when it sent none. */
  eventId: string;
}
