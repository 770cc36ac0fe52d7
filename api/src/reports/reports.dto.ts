import { ApiProperty } from '@nestjs/swagger';

export class CreateReportDto {
  @ApiProperty({ type: [String], example: ['prod'], description: 'environments to report on' }) environments!: string[];
  @ApiProperty({ example: '2026-07-01', description: 'window start: a date (its first instant, UTC) or an ISO time with a zone' }) from!: string;
  @ApiProperty({ example: '2026-09-30', description: 'window end, inclusive: a date (its last instant, UTC) or an ISO time with a zone' }) to!: string;
  @ApiProperty({ enum: ['csv', 'json', 'pdf'] }) format!: string;
  @ApiProperty({ type: [String], required: false, description: 'only these object kinds (case-insensitive)' }) kinds?: string[];
  @ApiProperty({ type: [String], required: false, description: 'only these namespaces (globs)' }) namespaces?: string[];
  @ApiProperty({ type: [String], required: false, description: 'only Git changes by these authors (name or email, case-insensitive)' }) authors?: string[];
}

export class ReportDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'done', 'failed'] }) status!: string;
  @ApiProperty({ enum: ['csv', 'json', 'pdf'] }) format!: string;
  @ApiProperty({ type: [String] }) environments!: string[];
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: [String] }) kinds!: string[];
  @ApiProperty({ type: [String] }) namespaces!: string[];
  @ApiProperty({ type: [String] }) authors!: string[];
  @ApiProperty({ description: '0 to 1' }) progress!: number;
  @ApiProperty({ nullable: true, type: String, description: 'analysing, writing, done, …' }) phase!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ description: 'who asked for it' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) records!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'bytes' }) size!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'sha256 of the file' }) sha256!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'set when the file can be downloaded' }) downloadUrl!: string | null;
}

export class ReportListDto {
  @ApiProperty({ type: [ReportDto] }) items!: ReportDto[];
}
