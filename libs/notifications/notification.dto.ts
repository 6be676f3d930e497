import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DeploymentEvent, NOTIFICATION_EVENTS } from '../../workflows/types';

/** Body of `POST /1/apps/:user/:app/notifications` (docs/contract.md#notifications). */
export class NotificationDto {
  @ApiProperty({
    description: 'Where each event is POSTed; checked against the outbound rules now and before every attempt.',
    format: 'uri',
    maxLength: 2048,
    example: 'https://hooks.example.com/deploys',
  })
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\//, { message: 'url must be an http(s) URL' })
  url: string;

  @ApiProperty({ type: [String], enum: NOTIFICATION_EVENTS, minItems: 1, description: 'The events delivered.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(NOTIFICATION_EVENTS.length)
  @IsIn(NOTIFICATION_EVENTS, { each: true })
  events: DeploymentEvent[];

  @ApiPropertyOptional({
    description:
      'Signs each body: `X-Deploy-Signature-256: sha256=<HMAC-SHA256 hex>`, as GitHub signs webhooks. Stored encrypted, never echoed.',
    maxLength: 256,
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  secret?: string;

  @ApiPropertyOptional({
    enum: ['json', 'slack'],
    default: 'json',
    description: '`json`: the event document; `slack`: a Slack incoming-webhook message (`{"text": …}`).',
  })
  @IsOptional()
  @IsIn(['json', 'slack'])
  format?: 'json' | 'slack';
}
