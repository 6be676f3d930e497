import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { APP_NAME } from '../apps/app.dto';

/** A pipeline's name: as an app's. */
export const PIPELINE_NAME = APP_NAME;
export const MAX_STAGES = 10;
export const MAX_STAGE_APPS = 20;

/** One stage of a pipeline (docs/contract.md#release-pipelines). */
export class StageDto {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_STAGE_APPS,
    description: "Apps of the source's repository, promoted in parallel.",
    example: ['staging-eu', 'staging-us'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STAGE_APPS)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @Matches(APP_NAME, { each: true, message: 'stages[].apps must be app names' })
  apps: string[];

  @ApiPropertyOptional({
    pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$',
    description:
      'Once every app of the stage is live: how long the run waits, each app still on the release after it, before the next stage.',
    example: '10m',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9][0-9]{0,5}(s|m|h|d)$/, { message: 'stages[].bake must be a duration such as 10m' })
  bake?: string;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'boolean' },
      {
        type: 'object',
        properties: {
          required: { type: 'integer', minimum: 1, maximum: 10 },
          timeout: { type: 'string', pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$' },
        },
      },
    ],
    description:
      "`true` (or `{required, timeout}`): the stage waits for its apps' approvers before it is promoted; timeout 72h by default.",
  })
  @Allow()
  approval?: unknown;
}

/** `PUT /1/pipelines/:user/:name` (docs/contract.md#release-pipelines). */
export class PipelineDto {
  @ApiProperty({ description: 'The app whose releases the pipeline promotes.', example: 'api-main' })
  @IsString()
  @Matches(APP_NAME, { message: 'source must be an app name' })
  source: string;

  @ApiProperty({ type: [StageDto], minItems: 1, maxItems: MAX_STAGES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STAGES)
  @ValidateNested({ each: true })
  @Type(() => StageDto)
  stages: StageDto[];
}

/** `POST /1/pipelines/:user/:name/runs`. */
export class PipelineRunDto {
  @ApiPropertyOptional({ minimum: 1, description: "The source's release to promote (N of vN); default: its live release.", example: 4 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  release?: number;
}
