import { Module } from '@nestjs/common';
import { GitModule } from '../git/git.module';
import { ClusterModule } from '../cluster/cluster.module';
import { ActionsController } from './actions.controller';

@Module({ imports: [GitModule, ClusterModule], controllers: [ActionsController] })
export class ActionsModule {}
