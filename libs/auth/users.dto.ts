import { ApiProperty } from '@nestjs/swagger';
import { Allow, IsString, Length, Matches } from 'class-validator';

export class CreateUserDto {
  @ApiProperty({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$', example: 'alice' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,63}$/i, { message: 'username must be 1-64 letters, digits, dots, dashes or underscores' })
  username: string;

  @ApiProperty({ minLength: 8, maxLength: 256, writeOnly: true, description: 'Stored only as a salted slow hash.' })
  @IsString()
  @Length(8, 256, { message: 'password must be 8 to 256 characters' })
  password: string;
}

export class CreateTokenDto {
  @ApiProperty({ minLength: 1, maxLength: 100, description: 'A label for the token, e.g. where it is used.', example: 'ci' })
  @IsString()
  @Length(1, 100, { message: 'name must be 1 to 100 characters' })
  name: string;
}

/** Body of `PUT /1/apps/:user/:app/collaborators/:name`; the role is checked by CollaboratorsService (`apps:collaborators:bad_role`). */
export class CollaboratorDto {
  @ApiProperty({ enum: ['viewer', 'deployer', 'approver', 'admin'], description: 'The role given on the app.', example: 'deployer' })
  @Allow()
  role: string;
}
