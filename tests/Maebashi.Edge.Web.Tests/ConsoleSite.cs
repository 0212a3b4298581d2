using Maebashi.Edge.Contract.Registry;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>
/// The real <c>maebashi-edge ingest run</c> on the sample registry, with operators whose passwords were set the way
/// an administrator sets them (<c>operators add</c>, the password on standard input).
/// </summary>
internal sealed class ConsoleSite : IDisposable
{
    /// <summary>A password per scope's operator; only the hash is written to the operators file.</summary>
    public static readonly IReadOnlyDictionary<string, (string Name, string Password)> Operators = new Dictionary<string, (string, string)>
    {
        ["admin"] = ("admin-1", "correct horse battery staple"),
        ["transport"] = ("transport-1", "交通の合言葉-2026"),
        ["welfare"] = ("welfare-1", "welfare password 3"),
        ["clinic:C01"] = ("clinic-c01", "reception desk 4"),
    };

    private readonly string _dir;
    private readonly RunningIngestProcess _ingest;

    private ConsoleSite(string dir, RunningIngestProcess ingest, string scheme, string host)
    {
        _dir = dir;
        _ingest = ingest;
        BaseAddress = new Uri($"{scheme}://{host}:{ingest.HttpPort}");
    }

    /// <summary>The ingest's MQTT port, where a test publishes a device's batch.</summary>
    public int MqttPort => _ingest.MqttPort;

    public Uri BaseAddress { get; }

    /// <summary>The site's own folder (certificates a test makes go there too).</summary>
    public string Directory => _dir;

    public string OperatorsFile => Path.Combine(_dir, "operators.json");

    public static CityRegistry Registry { get; } = RegistryLoader.Load(SharedFixtures.RegistryPath);

    /// <param name="https">Serve HTTPS for localhost with a certificate of <c>tls dev-ca</c> (its CA in <c>tls/ca.crt</c>).</param>
    /// <param name="transit">The sample registry with stop coordinates, route patterns and vehicles (<see cref="TransitRegistry"/>).</param>
    public static async Task<ConsoleSite> StartAsync(bool https = false, bool transit = false)
    {
        string dir = Path.Combine(Path.GetTempPath(), "mbe-web-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        string registry = SharedFixtures.RegistryPath;
        if (transit)
        {
            registry = Path.Combine(dir, "registry.json");
            TransitRegistry.Write(SharedFixtures.RegistryPath, registry);
        }

        string[] web = [];
        if (https)
        {
            string tls = Path.Combine(dir, "tls");
            ProcessResult made = EdgeCli.Run("tls", "dev-ca", "--out", tls, "--hosts", "localhost");
            Assert.True(made.Exit == 0, $"tls dev-ca: {made.Err}");
            web = ["--https-cert", Path.Combine(tls, "server.crt"), "--https-key", Path.Combine(tls, "server.key")];
        }

        string ops = Path.Combine(dir, "operators.json");
        foreach ((string scope, (string name, string password)) in Operators)
        {
            ProcessResult added = EdgeCli.Run(new ProcessOptions { StandardInput = password + "\n" },
                "operators", "add", "--file", ops, "--name", name, "--scope", scope);
            Assert.True(added.Exit == 0, $"operators add {name}: exit {added.Exit}: {added.Err}");
        }

        RunningIngestProcess ingest = await EdgeCli.StartIngestAsync(
            ["--registry", registry, "--data", Path.Combine(dir, "data"), "--mqtt-port", "0", "--http-port", "0", "--operators", ops, .. web]);
        return new ConsoleSite(dir, ingest, https ? "https" : "http", https ? "localhost" : "127.0.0.1");
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>A new browser page signed in to the console as the scope's operator, on the fleet page.</summary>
    public async Task<IPage> SignedInAsync(Browser browser, string scope, bool phone = false)
    {
        IPage page = await browser.NewPageAsync(phone);
        (string name, string password) = Operators[scope];
        await page.GotoAsync(Url("/console/signin"));
        await page.FillAsync("input[name=name]", name);
        await page.FillAsync("input[name=password]", password);
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("button:has-text('サインイン / Sign in')"));
        return page;
    }

    public void Dispose()
    {
        _ingest.Dispose();
        System.IO.Directory.Delete(_dir, recursive: true);
    }
}
