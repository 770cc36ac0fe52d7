import { ApiProperty } from '@nestjs/swagger';

/** The identity of a Kubernetes object as every API response names it. */
export class ObjectRefDto {
  @ApiProperty() objectId!: number;
  @ApiProperty({ description: "API group ('' for the core group)" }) group!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ description: "'' for cluster-scoped objects" }) namespace!: string;
  @ApiProperty() name!: string;
}
