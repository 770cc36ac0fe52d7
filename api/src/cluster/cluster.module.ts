import { Module } from '@nestjs/common';
import { ClusterController } from './cluster.controller';
import { ClusterQueryService } from './cluster-query.service';
import { ClusterRepository } from './cluster.repository';
import { LiveRecorderService } from './live-recorder.service';

/** The cluster context: discovery, list+watch, live object revisions, attribution. */
@Module({
  controllers: [ClusterController],
  providers: [ClusterRepository, ClusterQueryService, LiveRecorderService],
  exports: [LiveRecorderService, ClusterQueryService],
})
export class ClusterModule {}
