using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The ingest as an ASP.NET Core host: options checked at start, refusals as problem details (RFC 9457).</summary>
[Trait("Category", "Architecture")]
public sealed class HostingTests
{
    private const string ProblemJson = "application/problem+json";

    private static async Task<HttpResponseMessage> Send(RunningIngest ingest, string path, string? token)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await ingest.Http.SendAsync(req);
    }

    [Theory]
    [InlineData(null, 401, "missing bearer token")]
    [InlineData("not-a-known-token-at-all", 401, "unknown token")]
    [InlineData(RunningIngest.TransportToken, 403, "scope 'transport' may not read this sector")]
    [InlineData(RunningIngest.Clinic1Token, 403, "scope 'clinic:C01' may not read this sector")]
    public async Task A_refused_request_is_answered_with_problem_details(string? token, int status, string detail)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using HttpResponseMessage r = await Send(ingest, "/api/v1/devices", token);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal(ProblemJson, r.Content.Headers.ContentType?.MediaType);
        JsonElement problem = TestKit.ParseJson(await r.Content.ReadAsStringAsync());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        if (status == 401)
        {
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task Metrics_need_no_token_and_keep_their_names_and_label_sets()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using HttpResponseMessage r = await Send(ingest, "/metrics", null);
        Assert.Equal(200, (int)r.StatusCode);
        string text = await r.Content.ReadAsStringAsync();
        string[] series = [.. text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l[..l.LastIndexOf(' ')])];
        Assert.Equal(
            [
                "maebashi_ingest_batch_duration_seconds",
                "maebashi_ingest_batches_total",
                "maebashi_ingest_events_per_second",
                "maebashi_ingest_events_total{status=\"applied\"}",
                "maebashi_ingest_events_total{status=\"duplicate\"}",
                "maebashi_ingest_events_total{status=\"rejected\"}",
                "maebashi_ingest_processing_lag_seconds",
                "maebashi_ingest_quarantine",
                "maebashi_ingest_travel_reviews_total",
            ],
            series.Order(StringComparer.Ordinal));
        Assert.Contains("# TYPE maebashi_ingest_events_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE maebashi_ingest_quarantine gauge", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(70000, 0, "MqttPort (--mqtt-port)")]
    [InlineData(0, -1, "HttpPort (--http-port)")]
    public async Task A_bad_option_is_refused_at_start_naming_the_option(int mqttPort, int httpPort, string named)
    {
        string data = TestKit.TempDir();
        var options = new IngestOptions { RegistryPath = SharedFixtures.RegistryPath, DataDirectory = Path.Combine(data, "store"), MqttPort = mqttPort, HttpPort = httpPort };
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(
            () => IngestHost.StartAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None));
        Assert.Contains(e.Failures, f => f.StartsWith(named, StringComparison.Ordinal));

        // Refused before anything was opened: no store was created.
        Assert.False(Directory.Exists(Path.Combine(data, "store")));
    }

    [Fact]
    public async Task A_broker_that_is_not_mqtt_is_refused_at_start_naming_the_option()
    {
        var options = new IngestOptions { RegistryPath = SharedFixtures.RegistryPath, MqttPort = 0, HttpPort = 0, Broker = new Uri("http://127.0.0.1:1883") };
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(
            () => IngestHost.StartAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None));
        Assert.Contains("Broker (--broker): expected mqtt://HOST:PORT", e.Message, StringComparison.Ordinal);
    }
}
