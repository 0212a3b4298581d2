using System.Text.Json;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// A second, independent implementation of GTFS-Realtime: Debian's <c>protoc</c> compiles the same official
/// gtfs-realtime.proto to Python, and Debian's python3-protobuf decodes the feed (both installed by <c>./test</c>).
/// </summary>
internal static class GtfsRealtimeDecoder
{
    /// <summary>Debian's interpreter, which python3-protobuf installs into (another python3 on PATH may lack it).</summary>
    private const string Python = "/usr/bin/python3";

    private const string Protoc = "/usr/bin/protoc";

    // Parses the feed (a required field missing fails here), then prints it as the proto's field names with
    // python's json_format, and whether the header set incrementality itself (proto2 presence).
    private const string Script = """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import gtfs_realtime_pb2
        from google.protobuf import json_format
        m = gtfs_realtime_pb2.FeedMessage()
        with open(sys.argv[2], "rb") as f:
            m.ParseFromString(f.read())
        print(json.dumps({
            "incrementalitySet": m.header.HasField("incrementality"),
            "feed": json_format.MessageToDict(m, preserving_proto_field_name=True),
        }))
        """;

    private static readonly Lazy<string> Compiled = new(Compile);

    public static string ProtoPath => Path.Combine(SharedFixtures.RepositoryRoot, "cloud-ingest", "Maebashi.Edge.Ingest", "GtfsRealtime", "gtfs-realtime.proto");

    /// <summary>The feed as python read it: <c>incrementalitySet</c> and <c>feed</c> (proto field names, enums by name, 64-bit integers as strings).</summary>
    public static async Task<JsonElement> DecodeAsync(byte[] feed)
    {
        string dir = Compiled.Value;
        string input = Path.Combine(TestKit.TempDir(), "feed.pb");
        await File.WriteAllBytesAsync(input, feed);
        ProcessResult r = await ProcessRunner.RunAsync(Python, ["-c", Script, dir, input], TimeSpan.FromSeconds(60));
        Assert.True(r.Exit == 0, $"python3-protobuf could not decode the feed: {r.Err}");
        return TestKit.ParseJson(r.Out);
    }

    private static string Compile()
    {
        Assert.True(File.Exists(Protoc) && File.Exists(Python), "the Gtfs tests need Debian's protobuf-compiler and python3-protobuf (./test installs them)");
        string dir = TestKit.TempDir();
        ProcessResult r = ProcessRunner.Run(Protoc, ["--proto_path=" + Path.GetDirectoryName(ProtoPath), "--python_out=" + dir, Path.GetFileName(ProtoPath)], TimeSpan.FromSeconds(60));
        Assert.True(r.Exit == 0, $"protoc: {r.Err}");
        return dir;
    }
}
