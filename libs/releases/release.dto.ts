import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { APP_NAME } from '../apps/app.dto';

/** `POST /1/apps/:user/:app/rollback`. */
export class RollbackDto {
  @ApiPropertyOptional({
    minimum: 1,
    description: 'The release to roll back to (N of vN); default: the release before the live one.',
    example: 2,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  release?: number;
}

/** `POST /1/apps/:user/:app/promote` (docs/contract.md#promotion). */
export class PromoteDto {
  @ApiProperty({ description: "The app (of the same user and repository) that gets this app's live release.", example: 'api' })
  @IsString()
  @Matches(APP_NAME, { message: 'to must be an app name' })
  to: string;
}
