"""The S3 bucket (staged images, the model archive, review records, data capture) and the model archive in it.

Not found: HeadBucket answers a bare HTTP status, which botocore reports as code ``404`` (its model names
``NoSuchBucket``); a 403 is a permission problem, never "absent" (S3 API reference, HeadBucket).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from scones.workflow.errors import ResourceLookupError
from scones.workflow.functions import MODEL_KEY
from scones.workflow.resources.base import (
    Missing,
    Resource,
    ResourceKind,
    error_code,
    tag_dict,
)

# Answers of GetBucketTagging that only mean "this bucket carries no tag of ours".
_NO_TAGS = frozenset({"NoSuchTagSet", "NoSuchBucket"})


class Buckets(ResourceKind[str]):
    kind = "bucket"
    missing = Missing.of("404", "NoSuchBucket", "NotFound")

    def name_of(self, spec: str) -> str:
        return spec

    def find(self, name: str) -> dict[str, Any] | None:
        return self.lookup(name, lambda: dict(self.clients.s3.head_bucket(Bucket=name)))

    def ensure(self, spec: str) -> None:
        s3, region = self.clients.s3, self.settings.region
        if self.find(spec) is None:
            if region == "us-east-1":
                s3.create_bucket(Bucket=spec)
            else:
                s3.create_bucket(
                    Bucket=spec,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
            self.changed(f"created bucket {spec}")
        s3.put_bucket_tagging(Bucket=spec, Tagging={"TagSet": self.tag_list})  # type: ignore[typeddict-item]

    def tagged(self) -> Iterator[Resource]:
        for bucket in self.clients.s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            try:
                tags = tag_dict(self.clients.s3.get_bucket_tagging(Bucket=name)["TagSet"])
            except ClientError as exc:
                if error_code(exc) in _NO_TAGS:
                    continue
                raise ResourceLookupError(
                    f"cannot read the tags of bucket {name}: {exc}"
                    " (is it ours? check the caller's permissions)"
                ) from exc
            if self.is_ours(tags):
                yield Resource(self.kind, name)

    def delete(self, resource: Resource) -> None:
        self.gone_is_fine(lambda: self._empty(resource.name))
        self.gone_is_fine(lambda: self.clients.s3.delete_bucket(Bucket=resource.name))

    def _empty(self, bucket: str) -> None:
        """Every object version (a versioned bucket cannot be deleted otherwise), then the rest."""
        s3: Any = self.clients.s3
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            versions = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


class ModelArchives(ResourceKind[bytes]):
    """``model/model.tar.gz`` in the bucket, which the SageMaker model points at. Objects carry no tag of
    their own: they go with their bucket, so ``tagged`` lists none."""

    kind = "object"
    missing = Missing.of("404", "NoSuchKey", "NotFound")

    @property
    def url(self) -> str:
        return f"s3://{self.settings.bucket_name}/{MODEL_KEY}"

    def name_of(self, spec: bytes) -> str:
        return self.url

    def find(self, name: str) -> dict[str, Any] | None:
        bucket = self.settings.bucket_name
        return self.lookup(name, lambda: dict(self.clients.s3.head_object(Bucket=bucket, Key=MODEL_KEY)))

    def ensure(self, spec: bytes) -> None:
        self.clients.s3.put_object(Bucket=self.settings.bucket_name, Key=MODEL_KEY, Body=spec)

    def tagged(self) -> Iterator[Resource]:
        return iter(())

    def delete(self, resource: Resource) -> None:
        bucket = self.settings.bucket_name
        self.gone_is_fine(lambda: self.clients.s3.delete_object(Bucket=bucket, Key=MODEL_KEY))
