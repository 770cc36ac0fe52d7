import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RUNTIME } from '../config/config.tokens';
import type { RuntimeInfo } from '../runtime-info';

class InfoDto {
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ['demo', 'configured', 'unconfigured'] }) mode!: string;
  @ApiProperty({ enum: ['embedded', 'postgres'] }) database!: string;
  @ApiProperty({ type: [String] }) environments!: string[];
  @ApiProperty({ type: [String] }) repositories!: string[];
  @ApiProperty({ type: [String] }) clusters!: string[];
  @ApiProperty({ required: false, nullable: true, type: String }) configSource!: string | null;
  @ApiProperty({ type: [String], description: 'features this server offers; the web app shows their pages' }) features!: string[];
}

@ApiTags('system')
@Controller('api/v1')
export class SystemController {
  constructor(@Inject(RUNTIME) private readonly runtime: RuntimeInfo) {}

  @Get('info')
  @ApiOperation({ summary: 'What this Driftline runs: version, mode (demo or configured), database kind, configured names' })
  @ApiOkResponse({ type: InfoDto })
  info(): InfoDto {
    const c = this.runtime.config;
    return {
      version: this.runtime.version,
      mode: this.runtime.mode,
      database: this.runtime.database,
      environments: c.environments.map((e) => e.name),
      repositories: c.repositories.map((r) => r.name),
      clusters: c.clusters.map((k) => k.name),
      configSource: this.runtime.configSource,
      features: this.runtime.features,
    };
  }
}
