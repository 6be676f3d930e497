import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { IncludeDocs } from './feed-lines';
import { MAX_TOKEN_LENGTH } from './changes-cursor';

/** Query string of `GET /1/status/:user/changes[/:id]`. */
export class ChangesQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false', 'auto'], description: 'Full entries on every line, none, or on errors only.' })
  @IsOptional()
  @IsIn(['true', 'false', 'auto'], { message: 'include_docs must be true, false or auto' })
  include_docs?: IncludeDocs;

  /** A `seq` from an earlier line of this feed; checked by the service. */
  @ApiPropertyOptional({ maxLength: MAX_TOKEN_LENGTH, description: 'Resume after this `seq` (or from a time in milliseconds).' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TOKEN_LENGTH)
  since?: string;

  /** Close the feed (408 status:changes:timeout, with a resume token) after this many milliseconds. */
  @ApiPropertyOptional({
    pattern: '^[1-9][0-9]{0,9}$',
    description: 'Close the feed (408 status:changes:timeout, with a resume token) after this many milliseconds.',
  })
  @IsOptional()
  @Matches(/^[1-9]\d{0,9}$/, { message: 'timeout must be a positive number of milliseconds' })
  timeout?: string;
}
