import { Module } from '@nestjs/common';
import { GitController } from './git.controller';
import { GitIndexService } from './git-index.service';
import { GitPollerService } from './git-poller.service';
import { GitQueryService } from './git-query.service';
import { GitRepository } from './git.repository';
import { GitWebhookService } from './git-webhook.service';
import { RendersController } from './renders.controller';

@Module({
  controllers: [GitController, RendersController],
  providers: [GitRepository, GitIndexService, GitQueryService, GitWebhookService, GitPollerService],
  exports: [GitIndexService, GitQueryService, GitRepository],
})
export class GitModule {}
