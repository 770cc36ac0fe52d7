import { ApiProperty } from '@nestjs/swagger';

export class TimelineCommitDto {
  @ApiProperty() sha!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ nullable: true, type: Number }) pullRequest!: number | null;
  @ApiProperty() authorEmail!: string;
}

export class TimelineDriftDto {
  @ApiProperty() intervalId!: number;
  @ApiProperty({ enum: ['missing', 'modified', 'orphaned'] }) type!: string;
  @ApiProperty() summary!: string;
  @ApiProperty({ format: 'date-time' }) openedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) closedAt!: string | null;
}

export class TimelineEventDto {
  @ApiProperty({ description: 'stable key: g…(desired revision), l…(live revision), o…/c…(drift opened/closed)' }) key!: string;
  @ApiProperty({ enum: ['git', 'live', 'drift'] }) lane!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() objectId!: number;
  @ApiProperty() group!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['created', 'configured', 'deleted', 'opened', 'closed'] }) change!: string;
  @ApiProperty({ nullable: true, type: String, description: 'commit author, field manager, or what opened/closed the drift' }) actor!: string | null;
  @ApiProperty({ required: false, enum: ['applier', 'human', 'controller', 'unknown'] }) actorClass?: string;
  @ApiProperty({ required: false, type: TimelineCommitDto }) commit?: TimelineCommitDto;
  @ApiProperty({ required: false }) path?: string;
  @ApiProperty({ required: false }) revisionId?: number;
  @ApiProperty({ required: false, nullable: true, type: String }) operation?: string | null;
  @ApiProperty({ required: false, format: 'date-time', description: 'true change time from managedFields (may precede observation)' }) changedAt?: string;
  @ApiProperty({ required: false, type: TimelineDriftDto }) drift?: TimelineDriftDto;
}

export class LaneCountsDto {
  @ApiProperty() git!: number;
  @ApiProperty() live!: number;
  @ApiProperty() drift!: number;
}

export class TimelinePageDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: LaneCountsDto, description: 'events per lane in the whole window' }) counts!: LaneCountsDto;
  @ApiProperty({ type: [TimelineEventDto] }) events!: TimelineEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
