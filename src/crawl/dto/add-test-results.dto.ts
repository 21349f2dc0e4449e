import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { NoNul } from '../../common/validation/transforms';
import { CRAWL_LIMITS } from '../crawl-row';

/** One tested question. */
export class TestResultDto {
  /** 1–1,000 characters. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(CRAWL_LIMITS.question)
  @NoNul()
  question: string;

  /** Up to 4,000 characters. */
  @IsOptional()
  @IsString()
  @MaxLength(CRAWL_LIMITS.answer)
  @NoNul()
  answer?: string | null;

  @IsBoolean()
  passed: boolean;

  /** 0–1. */
  @ApiProperty({ required: false, minimum: 0, maximum: 1, nullable: true, type: 'number' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'score must be a number' })
  @Min(0)
  @Max(1)
  score?: number | null;

  /** When it was tested (ISO 8601). */
  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true }, { message: 'testedAt must be an ISO 8601 date-time' })
  testedAt: string;
}

/** 1–100 results, appended in order; the document keeps its newest 1,000. */
export class AddTestResultsDto {
  @ApiProperty({
    type: [TestResultDto],
    minItems: 1,
    maxItems: CRAWL_LIMITS.testResultsPerCall,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CRAWL_LIMITS.testResultsPerCall)
  @ValidateNested({ each: true })
  @Type(() => TestResultDto)
  results: TestResultDto[];
}
