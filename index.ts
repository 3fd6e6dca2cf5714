/**
 * The pinterest-pipeline stack: one program for every environment; Pulumi.<stack>.yaml holds the only
 * differences (docs/configuration.md). Components are added here as the pipeline grows.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { standardTags } from "./components/defaults";
import { Lake } from "./components/lake";
import { Network } from "./components/network";

const config = loadStackConfig();
const tags = standardTags(pulumi.getStack(), config.tags);

const network = new Network(config.namePrefix, {
  ...(config.network.existingVpcId !== undefined
    ? {
        existingVpcId: config.network.existingVpcId,
        existingPrivateSubnetIds: config.network.existingPrivateSubnetIds,
      }
    : {
        cidrBlock: config.network.vpcCidr,
        availabilityZoneCount: config.network.availabilityZoneCount,
        natGatewayMode: config.network.natGatewayMode,
      }),
  flowLogRetentionDays: config.logRetentionDays,
  tags,
});

const lake = new Lake(config.namePrefix, {
  rawDataRetentionDays: config.lake.rawDataRetentionDays,
  rawDataInfrequentAccessDays: config.lake.rawDataInfrequentAccessDays,
  forceDestroy: config.lake.forceDestroy,
  tags,
});

export const vpcId = network.vpcId;
export const privateSubnetIds = network.privateSubnetIds;
export const lakeBucketName = lake.bucketName;
export const lakeBucketArn = lake.bucketArn;
export const lakeKmsKeyArn = lake.kmsKeyArn;
export const accessLogBucketName = lake.accessLogBucketName;
