import { ObjectRefDto } from '../common/object-ref.dto';
import { ApiProperty } from '@nestjs/swagger';

export class DriftCountsDto {
  @ApiProperty() missing!: number;
  @ApiProperty() modified!: number;
  @ApiProperty() orphaned!: number;
  @ApiProperty({ description: 'reported, not counted as drift' }) unmanaged!: number;
  @ApiProperty({ description: 'missing + modified + orphaned' }) total!: number;
}

export class DayChangesDto {
  @ApiProperty({ example: '2026-11-27' }) day!: string;
  @ApiProperty() desired!: number;
  @ApiProperty() live!: number;
}

export class EnvironmentSummaryDto {
  @ApiProperty() name!: string;
  @ApiProperty() repository!: string;
  @ApiProperty({ nullable: true, type: String }) cluster!: string | null;
  @ApiProperty({ enum: ['in-sync', 'drifted', 'unknown'] }) status!: string;
  @ApiProperty({ type: DriftCountsDto }) drift!: DriftCountsDto;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastCommitAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastLiveChangeAt!: string | null;
  @ApiProperty({ type: [DayChangesDto], description: 'changes per day over the last 7 days' }) changesPerDay!: DayChangesDto[];
}

export class FieldChangeDto {
  @ApiProperty({ description: 'JSON pointer' }) pointer!: string;
  @ApiProperty({ example: 'spec.template.spec.containers[web].image' }) path!: string;
  @ApiProperty({ enum: ['added', 'removed', 'changed'] }) op!: string;
  @ApiProperty({ enum: ['value', 'hand-added', 'applier-removed'] }) reason!: string;
  @ApiProperty({ required: false }) manager?: string;
  @ApiProperty({ required: false, description: 'value in Git' }) desired?: unknown;
  @ApiProperty({ required: false, description: 'value in the cluster' }) live?: unknown;
}

export class DriftItemDto extends ObjectRefDto {
  @ApiProperty({ enum: ['missing', 'modified', 'orphaned', 'unmanaged'] }) type!: string;
  @ApiProperty() countsAsDrift!: boolean;
  @ApiProperty() summary!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'when this drift began' }) since!: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'what began it: a commit or a live change with its manager' }) openedBy!: Record<string, unknown> | null;
  @ApiProperty({ type: [FieldChangeDto] }) changes!: FieldChangeDto[];
  @ApiProperty({ description: 'unified YAML diff, Git → cluster, after normalization' }) diff!: string;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'RFC 6902 operations turning Git into the cluster' }) patch!: unknown[];
}

export class DriftReportDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['in-sync', 'drifted', 'unknown'] }) status!: string;
  @ApiProperty({ type: [DriftItemDto] }) items!: DriftItemDto[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) counts!: Record<string, number>;
}

export class DriftIntervalDto {
  @ApiProperty() id!: number;
  @ApiProperty() objectId!: number;
  @ApiProperty() group!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['missing', 'modified', 'orphaned', 'unmanaged'] }) type!: string;
  @ApiProperty({ format: 'date-time' }) openedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) closedAt!: string | null;
  @ApiProperty() durationSeconds!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) openedBy!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) closedBy!: Record<string, unknown> | null;
  @ApiProperty() summary!: string;
}

export class StateObjectDto extends ObjectRefDto {
  @ApiProperty() hash!: string;
  @ApiProperty({ format: 'date-time', description: 'when this revision was committed (desired) or observed (live)' }) at!: string;
  @ApiProperty({ required: false, type: Object, additionalProperties: true }) body?: Record<string, unknown>;
}

export class EnvironmentStateDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ enum: ['desired', 'live'] }) side!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: [StateObjectDto] }) objects!: StateObjectDto[];
}

export class SetChangeDto extends ObjectRefDto {
  @ApiProperty({ enum: ['created', 'configured', 'deleted'] }) change!: string;
  @ApiProperty({ required: false }) diff?: string;
  @ApiProperty({ required: false, type: 'array', items: { type: 'object', additionalProperties: true } }) patch?: unknown[];
}

export class SetCountsDto {
  @ApiProperty() created!: number;
  @ApiProperty() configured!: number;
  @ApiProperty() deleted!: number;
}

export class SetDiffDto {
  @ApiProperty({ type: [SetChangeDto] }) created!: SetChangeDto[];
  @ApiProperty({ type: [SetChangeDto] }) configured!: SetChangeDto[];
  @ApiProperty({ type: [SetChangeDto] }) deleted!: SetChangeDto[];
  @ApiProperty({ type: SetCountsDto }) counts!: SetCountsDto;
}

export class EnvironmentDiffDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: SetDiffDto, required: false }) desired?: SetDiffDto;
  @ApiProperty({ type: SetDiffDto, required: false }) live?: SetDiffDto;
}

export class ObjectDiffDto extends ObjectRefDto {
  @ApiProperty() a!: string;
  @ApiProperty() b!: string;
  @ApiProperty({ description: 'true when Git is compared with the cluster: both sides normalized as drift compares them' }) normalized!: boolean;
  @ApiProperty() diff!: string;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) patch!: unknown[];
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) before!: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) after!: Record<string, unknown> | null;
}
