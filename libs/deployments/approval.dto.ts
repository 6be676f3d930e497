import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** Body of `POST /1/deployments/:id/approve` and `…/reject` (docs/contract.md#approvals). */
export class ApprovalDecisionDto {
  @ApiPropertyOptional({ maxLength: 1000, description: 'Why: kept in the status log and the record.', example: 'Checked the migration.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}

/** Body of `POST /1/deployments/:id/deploy-now` (docs/contract.md#deploy-windows-and-freezes). */
export class DeployNowDto {
  @ApiProperty({
    maxLength: 1000,
    description: 'Why it goes outside its window: kept in the status log and the record.',
    example: 'Hotfix for the outage',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;
}
