import { ApiProperty } from '@nestjs/swagger';

export class AlertChannelDto {
  @ApiProperty({ example: 'sre' }) name!: string;
  @ApiProperty({ enum: ['slack', 'teams', 'googlechat', 'mattermost', 'discord', 'webhook'] }) type!: string;
  @ApiProperty({ example: 'https://hooks.slack.com/…', description: 'scheme and host only: the webhook URL is a secret' }) url!: string;
  @ApiProperty({ description: 'messages carry an X-Driftline-Signature (generic webhook with a secret)' }) signed!: boolean;
  @ApiProperty({ description: 'per-attempt timeout' }) timeoutMs!: number;
  @ApiProperty({ type: [String], description: 'rules that post to this channel' }) rules!: string[];
}

export class AlertRuleEvaluationDto {
  @ApiProperty({ format: 'date-time' }) tick!: string;
  @ApiProperty({ format: 'date-time' }) evaluatedAt!: string;
  @ApiProperty({ enum: ['schedule', 'manual'] }) trigger!: string;
  @ApiProperty({ description: 'messages it queued (each goes to every channel of the rule)' }) messages!: number;
}

export class AlertRuleDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) environments!: string[];
  @ApiProperty({ example: '*/15 * * * *' }) schedule!: string;
  @ApiProperty({ example: 'Europe/Berlin' }) timezone!: string;
  @ApiProperty({ description: 'drift younger than this is not announced' }) graceMs!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'persisting drift is repeated after this long (null: never)' }) reminderMs!: number | null;
  @ApiProperty() notifyResolved!: boolean;
  @ApiProperty({ description: 'one message per tick listing the state' }) digest!: boolean;
  @ApiProperty({ type: [String] }) kinds!: string[];
  @ApiProperty({ type: [String] }) namespaces!: string[];
  @ApiProperty({ type: [String] }) driftTypes!: string[];
  @ApiProperty({ type: [String] }) channels!: string[];
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ format: 'date-time', description: 'next scheduled evaluation' }) nextRunAt!: string;
  @ApiProperty({ enum: ['pg-boss', 'in-process', 'off'], description: 'what fires the schedule in this process' }) scheduler!: string;
  @ApiProperty({ type: AlertRuleEvaluationDto, nullable: true }) lastEvaluation!: AlertRuleEvaluationDto | null;
}

export class DeliveryAttemptDto {
  @ApiProperty() attempt!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) latencyMs!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status; null when no response arrived' }) statusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: "the receiver's Retry-After" }) retryAfterMs!: number | null;
  @ApiProperty({ enum: ['in-flight', 'sent', 'retry', 'dead', 'interrupted'] }) outcome!: string;
}

export class DeliveryDto {
  @ApiProperty() id!: number;
  @ApiProperty() channel!: string;
  @ApiProperty() channelType!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null for test messages' }) rule!: string | null;
  @ApiProperty({ enum: ['drift', 'reminder', 'resolved', 'digest', 'test'] }) kind!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: [String] }) environments!: string[];
  @ApiProperty({ enum: ['pending', 'sent', 'dead'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ description: 'sent as the Idempotency-Key header on every attempt' }) idempotencyKey!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) sentAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ type: [DeliveryAttemptDto] }) attemptLog!: DeliveryAttemptDto[];
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] }) items!: DeliveryDto[];
  @ApiProperty({ nullable: true, type: String, description: 'pass as `cursor` for the next (older) page' }) nextCursor!: string | null;
}

export class ChannelTestResultDto {
  @ApiProperty() channel!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ description: 'the receiver answered 2xx' }) ok!: boolean;
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() deliveryId!: number;
}
