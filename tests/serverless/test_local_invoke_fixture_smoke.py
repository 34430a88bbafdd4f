import boto3


def test_moto_server_s3(moto_server: str, aws_env: None) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server)
    s3.create_bucket(Bucket="letrade-test")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["letrade-test"]


def test_moto_server_reset(moto_server: str, aws_env: None) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server)
    assert s3.list_buckets()["Buckets"] == []
