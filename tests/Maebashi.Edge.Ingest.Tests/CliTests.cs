namespace Maebashi.Edge.Ingest.Tests;

/// <summary><c>maebashi-edge ingest run</c> refuses what it cannot run with a clear message and exit code.</summary>
[Trait("Category", "Ingest")]
public sealed class CliTests
{
    private static Task<ProcessResult> Ingest(params string[] args) => EdgeCli.RunAsync(["ingest", "run", .. args]);

    [Fact]
    public async Task A_registry_with_problems_exits_1_naming_them()
    {
        string dir = TestKit.TempDir();
        string bad = Path.Combine(dir, "registry.json");
        await File.WriteAllTextAsync(bad, """{"keys": {"regionKey": "zz"}, "persons": [], "cards": [], "devices": []}""");
        (int exit, _, string err) = await Ingest("--registry", bad, "--data", Path.Combine(dir, "d"), "--mqtt-port", "0", "--http-port", "0");
        Assert.Equal(1, exit);
        Assert.Contains("regionKey", err, StringComparison.Ordinal);

        // Refused before the store was opened: no store was made in the data directory.
        Assert.Empty(Directory.Exists(Path.Combine(dir, "d")) ? Directory.EnumerateFiles(Path.Combine(dir, "d"), "*.db", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task A_bad_broker_address_or_operators_file_exits_2()
    {
        string dir = TestKit.TempDir();
        (int exit, _, string err) = await Ingest("--registry", SharedFixtures.RegistryPath, "--broker", "http://127.0.0.1:1883");
        Assert.Equal(2, exit);
        Assert.Contains("--broker", err, StringComparison.Ordinal);

        string ops = Path.Combine(dir, "operators.json");
        await File.WriteAllTextAsync(ops, """[{"name": "x", "token": "short", "scope": "transport"}]""");
        (int exit2, _, string err2) = await Ingest("--registry", SharedFixtures.RegistryPath, "--operators", ops, "--data", Path.Combine(dir, "d"), "--mqtt-port", "0", "--http-port", "0");
        Assert.Equal(2, exit2);
        Assert.Contains("token", err2, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", "ScaleOut")]
    [InlineData("two words")]
    [InlineData("")]
    [InlineData("worker/1")]
    public async Task A_worker_id_that_cannot_name_an_mqtt_session_exits_2_naming_the_option(string id)
    {
        string dir = TestKit.TempDir();
        (int exit, _, string err) = await Ingest("--registry", SharedFixtures.RegistryPath, "--data", Path.Combine(dir, "d"), "--mqtt-port", "0", "--http-port", "0", "--worker-id", id);
        Assert.Equal(2, exit);
        Assert.Contains("--worker-id", err, StringComparison.Ordinal);
    }
}
