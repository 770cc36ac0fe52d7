import { ApiProperty } from '@nestjs/swagger';

export class ClusterKindDto {
  @ApiProperty({ description: "API group ('' = core)" }) group!: string;
  @ApiProperty() version!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() plural!: string;
  @ApiProperty() namespaced!: boolean;
  @ApiProperty({ description: 'false once the kind is no longer wanted' }) watched!: boolean;
  @ApiProperty({ enum: ['pending', 'listing', 'listed', 'watching', 'error', 'stopped'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String }) resourceVersion!: string | null;
  @ApiProperty({ description: 'objects of this kind live now (in the recorded namespaces)' }) objects!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastListAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastEventAt!: string | null;
}

export class LiveGapDto {
  @ApiProperty() group!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'null while the kind is still not observed' }) endedAt!: string | null;
  @ApiProperty({ description: 'why the kind could not be observed: list failed (403, 404, timeout…), stream dropped, recorder stopped' }) reason!: string;
}

export class ClusterStatusDto {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'in driftline.yaml (false: only recorded history is left)' }) configured!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'API server URL' }) server!: string | null;
  @ApiProperty({ description: 'a recorder is running and the API server answers' }) connected!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'the process recording this cluster (host/pid/id)' }) leader!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) leaderSince!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: "the recorder's last sign of life" }) heartbeatAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'last watch event received' }) lastEventAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastListAt!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'seconds from observing the changes of the last batch to committing them' }) lagSeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ description: 'objects live now' }) objects!: number;
  @ApiProperty({ type: [ClusterKindDto] }) kinds!: ClusterKindDto[];
  @ApiProperty({ type: [LiveGapDto] }) openGaps!: LiveGapDto[];
}

export class LiveChangeDto {
  @ApiProperty({ enum: ['created', 'configured', 'deleted'] }) change!: string;
  @ApiProperty({ nullable: true, type: String }) manager!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Apply or Update' }) operation!: string | null;
  @ApiProperty({ format: 'date-time' }) changedAt!: string;
}

export class LiveObjectDto {
  @ApiProperty() objectId!: number;
  @ApiProperty() cluster!: string;
  @ApiProperty() group!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ description: "'' for cluster-scoped objects" }) namespace!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) uid!: string | null;
  @ApiProperty({ nullable: true, type: String }) resourceVersion!: string | null;
  @ApiProperty({ description: 'content hash of the normalized, redacted body' }) documentHash!: string;
  @ApiProperty({ format: 'date-time' }) observedAt!: string;
  @ApiProperty({ type: LiveChangeDto, nullable: true, description: 'the latest recorded change' }) lastChange!: LiveChangeDto | null;
}

export class LiveObjectPageDto {
  @ApiProperty({ type: [LiveObjectDto] }) items!: LiveObjectDto[];
  @ApiProperty({ nullable: true, type: String, description: 'pass as cursor for the next page; null on the last page' }) nextCursor!: string | null;
}

export class LiveRevisionDto {
  @ApiProperty() id!: number;
  @ApiProperty() cluster!: string;
  @ApiProperty({ format: 'date-time', description: 'when Driftline saw the change' }) observedAt!: string;
  @ApiProperty({ format: 'date-time', description: "when it was made (the attributed manager's managedFields time), else observedAt" }) changedAt!: string;
  @ApiProperty({ enum: ['created', 'configured', 'deleted'] }) change!: string;
  @ApiProperty({ enum: ['watch', 'list', 'relist'] }) source!: string;
  @ApiProperty({ nullable: true, type: String, description: 'field manager of the most recent change to non-status fields' }) manager!: string | null;
  @ApiProperty({ nullable: true, type: String }) operation!: string | null;
  @ApiProperty({ nullable: true, type: String }) resourceVersion!: string | null;
  @ApiProperty({ nullable: true, type: String }) uid!: string | null;
  @ApiProperty({ nullable: true, type: String }) documentHash!: string | null;
  @ApiProperty({ description: 'hash-chain link of this record' }) hash!: string;
  @ApiProperty({ description: 'unified YAML diff from the previous revision in the same cluster (empty when none differs)' }) diff!: string;
}

export class ObjectHistoryDto {
  @ApiProperty() objectId!: number;
  @ApiProperty() group!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [LiveRevisionDto], description: 'newest first' }) revisions!: LiveRevisionDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
