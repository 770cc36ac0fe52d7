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

export class RenderProblemDto {
  @ApiProperty({ description: 'repository-relative file where the problem is (usually a kustomization file)' }) file!: string;
  @ApiProperty({ description: "the field in that file, e.g. helmCharts or patches[2].target; '' for the file as a whole" }) field!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: ['unsupported', 'remote', 'not-found', 'invalid', 'conflict', 'not-applied', 'restricted', 'cycle'] }) code!: string;
}

export class RenderedEntryDto {
  @ApiProperty({ description: "entry directory, repository-relative ('' = the root)" }) entry!: string;
  @ApiProperty({ enum: ['config', 'flux', 'argocd'], description: "config: the environment's entries; flux / argocd: followed from a Flux Kustomization or Argo CD Application (render: auto)" }) source!: string;
  @ApiProperty({ enum: ['builtin', 'binary'] }) renderer!: string;
  @ApiProperty({ enum: ['ok', 'problems', 'removed'], description: 'problems: the render met problems and the entry kept its previous good objects; removed: no longer an entry' }) status!: string;
  @ApiProperty({ description: 'the commit where the entry was last rendered' }) commit!: string;
  @ApiProperty({ format: 'date-time' }) committedAt!: string;
  @ApiProperty({ description: 'objects the entry contributes to the desired state after this render' }) objects!: number;
  @ApiProperty({ type: [RenderProblemDto] }) problems!: RenderProblemDto[];
}

export class EnvironmentRendersDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ enum: ['plain', 'kustomize', 'auto'] }) render!: string;
  @ApiProperty({ nullable: true, type: String, description: 'the commit the answer is for (null before the first indexed commit)' }) commit!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) committedAt!: string | null;
  @ApiProperty({ type: [RenderedEntryDto], description: 'entries in effect at that commit, each as of its last render at or before it' }) entries!: RenderedEntryDto[];
  @ApiProperty({ description: 'problems of those last renders, all entries together' }) problemCount!: number;
}

export class CommitEnvironmentRendersDto {
  @ApiProperty() environment!: string;
  @ApiProperty({ type: [RenderedEntryDto], description: 'entries rendered at this commit (their dependency closure changed)' }) entries!: RenderedEntryDto[];
}

export class CommitDetailDto extends CommitDto {
  @ApiProperty() message!: string;
  @ApiProperty({ type: [FileChangeDto] }) files!: FileChangeDto[];
  @ApiProperty({ type: [EnvironmentChangesDto] }) environments!: EnvironmentChangesDto[];
  @ApiProperty({ type: [CommitEnvironmentRendersDto], description: 'per rendering environment, the entries rendered at this commit with their problems' }) renders!: CommitEnvironmentRendersDto[];
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
