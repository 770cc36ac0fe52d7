import { ObjectRefDto } from '../common/object-ref.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RepositoryStatusDto {
  @ApiProperty() name!: string;
  @ApiProperty() branch!: string;
  @ApiProperty({ enum: ['remote', 'local'] }) source!: string;
  @ApiProperty({ nullable: true, type: String }) headSha!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastIndexedSha!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastIndexedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastFetchAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty() commits!: number;
  @ApiProperty({ description: 'commits kept after a history rewrite made them unreachable' }) unreachableCommits!: number;
  @ApiProperty() parseErrors!: number;
  @ApiProperty({ enum: ['not-indexed', 'up-to-date', 'behind', 'error'] }) status!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'seconds since the branch was last read' }) lagSeconds!: number | null;
}

export class PersonDto {
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ format: 'date-time' }) time!: string;
  @ApiProperty({ description: 'the original zone offset, e.g. +0200' }) tz!: string;
}

export class PullRequestDto {
  @ApiProperty() number!: number;
  @ApiProperty({ enum: ['github-pr', 'gitlab-mr'] }) kind!: string;
}

export class CoAuthorDto {
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
}

export class CommitDto {
  @ApiProperty() repository!: string;
  @ApiProperty() sha!: string;
  @ApiProperty({ type: [String] }) parents!: string[];
  @ApiProperty() subject!: string;
  @ApiProperty({ type: PersonDto }) author!: PersonDto;
  @ApiProperty({ type: PersonDto }) committer!: PersonDto;
  @ApiProperty({ type: PullRequestDto, nullable: true }) pullRequest!: PullRequestDto | null;
  @ApiProperty({ type: [CoAuthorDto] }) coAuthors!: CoAuthorDto[];
  @ApiProperty({ description: "on the branch's first-parent history (defines desired state)" }) onBranch!: boolean;
  @ApiProperty({ description: 'false once a force push removed it from the branch (kept for audit)' }) reachable!: boolean;
}

export class CommitPageDto {
  @ApiProperty({ type: [CommitDto] }) items!: CommitDto[];
  @ApiProperty({ nullable: true, type: String, description: 'pass as cursor for the next page; null on the last page' }) nextCursor!: string | null;
}

export class ParseStatusDto {
  @ApiProperty({ enum: ['ok', 'not-kubernetes', 'error', 'skipped'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) reasonCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}

export class FileChangeDto {
  @ApiProperty() path!: string;
  @ApiProperty({ enum: ['A', 'M', 'D', 'R', 'C', 'T'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) oldPath!: string | null;
  @ApiProperty({ nullable: true, type: String }) blob!: string | null;
  @ApiProperty({ type: ParseStatusDto, nullable: true }) parse!: ParseStatusDto | null;
}

export class ObjectChangeDto extends ObjectRefDto {
  @ApiProperty({ enum: ['created', 'configured', 'deleted'] }) change!: string;
  @ApiProperty() path!: string;
  @ApiProperty({ description: 'unified YAML diff against the previous desired revision in this environment' }) diff!: string;
}

export class EnvironmentChangesDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ type: [ObjectChangeDto] }) objects!: ObjectChangeDto[];
}

export class CommitDetailDto extends CommitDto {
  @ApiProperty() message!: string;
  @ApiProperty({ type: [FileChangeDto] }) files!: FileChangeDto[];
  @ApiProperty({ type: [EnvironmentChangesDto] }) environments!: EnvironmentChangesDto[];
}

export class DesiredObjectDto extends ObjectRefDto {
  @ApiProperty() path!: string;
  @ApiProperty({ description: 'the commit that last changed this object' }) commit!: string;
  @ApiProperty() hash!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) body!: Record<string, unknown>;
}

export class DesiredStateDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ nullable: true, type: String }) commit!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) committedAt!: string | null;
  @ApiProperty({ type: [DesiredObjectDto] }) objects!: DesiredObjectDto[];
}

export class BlobProblemDto {
  @ApiProperty() path!: string;
  @ApiProperty() commit!: string;
  @ApiProperty() blob!: string;
  @ApiProperty() status!: string;
  @ApiProperty() reasonCode!: string;
  @ApiProperty() reason!: string;
}

export class IndexAcceptedDto {
  @ApiProperty() repository!: string;
  @ApiProperty({ enum: ['queued'] }) status!: string;
  @ApiPropertyOptional() ref?: string;
}
