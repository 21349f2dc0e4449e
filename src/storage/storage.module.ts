import { Module } from '@nestjs/common';
import { StorageService } from './storage.service';

/** Uploaded files on local disk (UPLOAD_DIR): used by leads (resumes) and analytics (files). */
@Module({
  providers: [StorageService],
  exports: [StorageService],
})
export class StorageModule {}
