import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Body of `POST /1/apps/:user/:app/previews/:pr/approve` (docs/contract.md#preview-apps). */
export class PreviewApprovalDto {
  @ApiPropertyOptional({
    pattern: '^[0-9a-f]{40}$',
    description:
      'The head approved; absent: the one waiting now. A head that no longer waits is refused, so an approval never covers a newer push.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{40}$/, { message: 'sha must be a full commit id (40 hexadecimal digits)' })
  sha?: string;

  @ApiPropertyOptional({ maxLength: 1000, description: "Why: kept in the preview's record and the log.", example: 'Read the diff.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}
