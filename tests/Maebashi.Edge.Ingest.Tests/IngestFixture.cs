using System.Net.Http.Headers;
using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Ingest.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>An ingest started in the test process on free ports, with its own data directory and operators.</summary>
internal sealed class RunningIngest : IAsyncDisposable
{
    public const string AdminToken = "admin-token-0123456789";
    public const string TransportToken = "transport-token-0123456789";
    public const string WelfareToken = "welfare-token-0123456789";
    public const string Clinic1Token = "clinic-c01-token-0123456789";
    public const string Clinic2Token = "clinic-c02-token-0123456789";

    public const string AdminName = "城 管理者";
    public const string TransportName = "交通 係";
    public const string Clinic1Name = "C01 受付";

    /// <summary>Every operator's console password (each also keeps its bearer token for the API).</summary>
    public const string ConsolePassword = "correct horse battery";

    private RunningIngest(IngestHost host, string data, TimeProvider time)
    {
        Host = host;
        Data = data;
        Time = time;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };
    }

    public IngestHost Host { get; }
    public string Data { get; }
    public TimeProvider Time { get; }
    public HttpClient Http { get; }

    /// <param name="registry">The registry file; the sample registry by default.</param>
    /// <param name="cardKeys">The card master key file (<c>--card-keys</c>), for a registry with authenticated cards.</param>
    /// <param name="jpkiRoots">The JPKI roots (<c>--jpki-roots</c>), with <paramref name="jpkiCrl"/>, for My Number cards.</param>
    /// <param name="configure">Changes to the options beyond these (the quarantine's limits, say).</param>
    public static async Task<RunningIngest> StartAsync(TimeProvider? time = null, string? data = null, Uri? broker = null, string? brokerUser = null, string? brokerPassword = null, ILoggerFactory? loggers = null,
        string? registry = null, string? cardKeys = null, string? jpkiRoots = null, string? jpkiCrl = null, Action<IngestOptions>? configure = null)
    {
        data ??= TestKit.TempDir();
        string ops = Path.Combine(data, "operators.json");
        string hash = TestPasswords.Hash(ConsolePassword);
        await File.WriteAllTextAsync(ops, $$"""
            [
              {"name": "{{AdminName}}", "token": "{{AdminToken}}", "scope": "admin", "passwordHash": "{{hash}}"},
              {"name": "{{TransportName}}", "token": "{{TransportToken}}", "scope": "transport", "passwordHash": "{{hash}}"},
              {"name": "福祉 係", "token": "{{WelfareToken}}", "scope": "welfare", "passwordHash": "{{hash}}"},
              {"name": "{{Clinic1Name}}", "token": "{{Clinic1Token}}", "scope": "clinic:C01", "passwordHash": "{{hash}}"},
              {"name": "C02 受付", "token": "{{Clinic2Token}}", "scope": "clinic:C02", "passwordHash": "{{hash}}"}
            ]
            """);
        time ??= TimeProvider.System;
        var options = new IngestOptions
        {
            RegistryPath = registry ?? SharedFixtures.RegistryPath,
            CardKeysFile = cardKeys,
            JpkiRootsFile = jpkiRoots,
            JpkiCrlFile = jpkiCrl,
            DataDirectory = Path.Combine(data, "store"),
            MqttPort = 0,
            HttpPort = 0,
            OperatorsPath = ops,
            Broker = broker,
            BrokerUser = brokerUser,
            BrokerPassword = brokerPassword,
        };
        configure?.Invoke(options);
        IngestHost host = await IngestHost.StartAsync(
            options,
            loggers ?? NullLoggerFactory.Instance,
            time,
            CancellationToken.None);
        return new RunningIngest(host, data, time);
    }

    public async Task<(int Status, string Body)> Get(string path, string? token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using HttpResponseMessage r = await Http.SendAsync(req);
        return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    public async Task<(int Status, string Body)> Post(string path, string? token, string json)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using HttpResponseMessage r = await Http.SendAsync(req);
        return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The whole audit log in the store, oldest first, one JSON line a record as the ingest once wrote it to
    /// <c>audit.jsonl</c> (at, operator, scope, method, route, status, subjects).
    /// </summary>
    public Task<string[]> AuditLinesAsync()
    {
        var pages = new List<AuditEntry>();
        for (long? before = null; ;)
        {
            AuditPage page = Host.Pipeline.Store.AuditPage(before, 100, null);
            pages.AddRange(page.Entries);
            if (page.Older is not { } older)
            {
                break;
            }

            before = older;
        }

        var json = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return Task.FromResult(pages.AsEnumerable().Reverse().Select(e => System.Text.Json.JsonSerializer.Serialize(
            new { at = e.At, @operator = e.Operator, scope = e.Scope, method = e.Method, route = e.Route, status = e.Status, subjects = e.Subjects }, json)).ToArray());
    }

    /// <summary>The audit log as one text (<see cref="AuditLinesAsync"/>), for what a record should or should not hold.</summary>
    public async Task<string> AuditTextAsync() => string.Join('\n', await AuditLinesAsync());

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>
/// PHC strings made here, independently of the product's <c>PasswordHash</c>, at the lowest cost it accepts, so that a
/// test's sign-ins stay quick (verification takes the iteration count from the string).
/// </summary>
internal static class TestPasswords
{
    public const int Iterations = 10_000;

    public static string Hash(string password)
    {
        byte[] salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        byte[] hash = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
        return $"$pbkdf2-sha256$i={Iterations}${Convert.ToBase64String(salt).TrimEnd('=')}${Convert.ToBase64String(hash).TrimEnd('=')}";
    }
}

/// <summary>A fake clock starting at a fixed instant, for tests whose taps sit on the sample's event days.</summary>
internal static class Clocks
{
    public static FakeTimeProvider At(string iso) => new(DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture));
}
