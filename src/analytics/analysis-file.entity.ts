import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryColumnOptions,
} from 'typeorm';
import { NOW_DEFAULT, timestampColumn, uuidColumn } from '../database/column-types';
import { DataAnalysis } from './data-analysis.entity';

/** A file uploaded to an analysis, stored through StorageService (generated key; the client's name is metadata). */
@Entity('analysis_files')
@Index('ix_analysis_files_analysis_created', ['analysisId', 'createdAt', 'id'])
export class AnalysisFile {
  @PrimaryColumn(uuidColumn() as PrimaryColumnOptions)
  id: string;

  @Column(uuidColumn())
  analysisId: string;

  @ManyToOne(() => DataAnalysis, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'analysis_id', foreignKeyConstraintName: 'fk_analysis_files_analysis' })
  analysis?: DataAnalysis;

  /** The client's file name (metadata only; never part of the storage key). */
  @Column({ type: 'varchar', length: 255 })
  filename: string;

  @Column({ type: 'varchar', length: 300 })
  storageKey: string;

  /** csv | json | xlsx | pdf */
  @Column({ type: 'varchar', length: 20 })
  fileType: string;

  @Column({ type: 'varchar', length: 100 })
  contentType: string;

  @Column({ type: 'integer' })
  sizeBytes: number;

  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  createdAt: Date;
}
