import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `POST /1/apps/:user/:app/rollback`. */
export class RollbackDto {
  @ApiPropertyOptional({ minimum: 1, description: 'The release to roll back to (N of vN); default: the release before the live one.', example: 2 })
  @IsOptional() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER)
  release?: number;
}
