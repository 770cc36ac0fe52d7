import { ApiProperty } from '@nestjs/swagger';

export class SignedInDto {
  @ApiProperty({ example: 'alice@example.com' }) name!: string;
  @ApiProperty({ enum: ['viewer', 'auditor', 'admin'] }) role!: string;
  @ApiProperty({ enum: ['token', 'session'], description: 'how this request authenticated' }) via!: string;
  @ApiProperty({ enum: ['token', 'oidc'], description: 'what the sign-in stands for: an API token or an OIDC user' }) kind!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'when this credential stops working' }) expiresAt!: string | null;
}

export class OidcConfigDto {
  @ApiProperty({ example: '/api/v1/auth/oidc/login' }) loginUrl!: string;
}

export class AuthConfigDto {
  @ApiProperty({ type: OidcConfigDto, nullable: true, description: 'null when OIDC sign-in is not configured' }) oidc!: OidcConfigDto | null;
}

export class TokenDto {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: 'ci-reports' }) name!: string;
  @ApiProperty({ enum: ['viewer', 'auditor', 'admin'] }) role!: string;
  @ApiProperty({ example: 'dl_3f9a0c1b2d4e', description: 'the start of the token, to recognise it; useless on its own' }) prefix!: string;
  @ApiProperty({ example: 'cli:root' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'updated at most once a minute' }) lastUsedAt!: string | null;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({ description: 'the token itself: shown this once, never stored' }) token!: string;
}

export class SignInBodyDto {
  @ApiProperty({ description: 'an API token (dl_…)' }) token!: string;
}

export class CreateTokenBodyDto {
  @ApiProperty({ example: 'ci-reports' }) name!: string;
  @ApiProperty({ enum: ['viewer', 'auditor', 'admin'] }) role!: string;
  @ApiProperty({ required: false, example: '90d', description: 'lifetime (30m, 12h, 90d); never expires when absent' }) expires?: string;
}
