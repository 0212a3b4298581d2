using System.Diagnostics;
using System.Net;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.CardAuth;
using Maebashi.Edge.Ingest.GtfsRealtime;
using Maebashi.Edge.Ingest.Hosting;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Mqtt;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Registry;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Store.Postgres;
using Maebashi.Edge.Ingest.Web;
using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest;

/// <summary>
/// The running ingest: an ASP.NET Core <see cref="WebApplication"/> whose hosted services are, in start order,
/// the registry and operators (<see cref="StartupLoad"/>), the import of an older data directory's web state
/// (<see cref="LegacyWebStateImport"/>), the broker (<see cref="BrokerService"/>), the
/// trip-close clock (<see cref="TripCloseClock"/>), the quarantine's purge (<see cref="QuarantineUpkeep"/>), the taps' retention (<see cref="TapRetentionUpkeep"/>) and Kestrel serving the HTTP API and <c>/metrics</c>.
/// Options are validated at start (<see cref="IngestOptionsValidator"/>). The caller owns the lifetime
/// (signals, Ctrl+C): <c>run</c> stops it on SIGTERM, the demo and tests when they are done.
/// </summary>
public sealed class IngestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IngestMetrics _metrics;

    private IngestHost(WebApplication app, IngestMetrics metrics)
    {
        _app = app;
        _metrics = metrics;
    }

    public IngestPipeline Pipeline => _app.Services.GetRequiredService<IngestPipeline>();

    public string DataDirectory => _app.Services.GetRequiredService<IngestDataDirectory>().Path;

    public int MqttPort => _app.Services.GetRequiredService<BrokerService>().Port;

    public int HttpPort { get; private set; }

    /// <summary>The admin token made at start when no operators file was given.</summary>
    public string? GeneratedAdminToken => _app.Services.GetRequiredService<OperatorDirectory>().GeneratedAdminToken;

    public IMqttPublisher Publisher => _app.Services.GetRequiredService<BrokerService>().Publisher;

    /// <exception cref="OptionsValidationException">An option is out of range (each failure names the option).</exception>
    /// <exception cref="RegistryException">The registry has problems.</exception>
    /// <exception cref="OperatorsFileException">The operators file is not valid for the registry.</exception>
    public static async Task<IngestHost> StartAsync(IngestOptions options, ILoggerFactory loggers, TimeProvider time, CancellationToken cancellationToken)
    {
        var metrics = new IngestMetrics(time);
        WebApplication app = Build(options, loggers, time, metrics);
        var host = new IngestHost(app, metrics);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            // What did start was stopped by the host; disposing closes what was opened (the store).
            await app.DisposeAsync();
            metrics.Dispose();
            throw;
        }

        // What the start read to build the store's in-memory state is garbage now: given back before the first batch,
        // as the registry's parse was (LoadRegistry), rather than left resident for the life of the process.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.HttpPort = new Uri(address).Port;
        loggers.CreateLogger("Maebashi.Edge.Ingest").LogInformation("HTTP API listening on {Address}", address);
        return host;
    }

    private static WebApplication Build(IngestOptions options, ILoggerFactory loggers, TimeProvider time, IngestMetrics metrics)
    {
        // The application is this assembly, whoever hosts it: the console's compiled Razor Pages are found in it. Its
        // content root is the installed program's folder, not the working directory: ASP.NET watches the content root
        // and everything under it for page changes, and a data directory below the working directory made each write
        // of the store an event for that watcher to read (a tenth of the ingest's CPU in the harness, docs/benchmarks.md).
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(IngestHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        IServiceCollection services = builder.Services;

        // Everything the ingest runs with is in IngestOptions: no appsettings.json from the working directory
        // and no ASPNETCORE_URLS or Kestrel section that could add listeners beyond 127.0.0.1:HttpPort.
        builder.Configuration.Sources.Clear();

        // The caller's loggers (JSON on stderr for `run`, none in tests) and clock; the caller's signals.
        builder.Logging.ClearProviders();
        services.AddSingleton(loggers);
        services.AddSingleton(time);
        services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();

        services.AddOptions<IngestOptions>().Configure(options.CopyTo).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngestOptions>>((k, o) => WebListener.Configure(k, o.Value));
        services.AddHsts(h =>
        {
            // Over HTTPS every answer says so, whatever the host name (the default exempts localhost).
            h.ExcludedHosts.Clear();
            h.MaxAge = TimeSpan.FromDays(365);
        });
        if (options.BehindProxy is { } proxy && IPAddress.TryParse(proxy, out IPAddress? proxyAddress))
        {
            services.Configure<ForwardedHeadersOptions>(f =>
            {
                f.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                f.KnownIPNetworks.Clear();
                f.KnownProxies.Clear();
                f.KnownProxies.Add(proxyAddress);
            });
        }

        services.AddSingleton(IngestDataDirectory.For(options));
        services.AddSingleton(sp => LoadRegistry(sp.GetRequiredService<IOptions<IngestOptions>>().Value, sp.GetRequiredService<IIngestStore>, loggers.CreateLogger("Maebashi.Edge.Ingest")));
        services.AddSingleton(sp => OperatorDirectory.Load(
            sp.GetRequiredService<IOptions<IngestOptions>>().Value.OperatorsPath, sp.GetRequiredService<CityRegistry>(), sp.GetRequiredService<IIngestStore>));
        services.AddSingleton(sp => IngestStoreOption.Open(
            sp.GetRequiredService<IOptions<IngestOptions>>().Value, sp.GetRequiredService<IngestDataDirectory>().Path, Environment.GetEnvironmentVariable("PGPASSFILE")));
        services.AddSingleton(sp => new AuditLog(sp.GetRequiredService<IIngestStore>(), time));
        services.AddSingleton(sp =>
        {
            IngestOptions o = sp.GetRequiredService<IOptions<IngestOptions>>().Value;
            JpkiTrust jpki = JpkiTrust.Create(o.JpkiRootsFile, o.JpkiCrlFile, time, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Maebashi.Edge.Ingest.Jpki"));
            metrics.ObserveJpkiCrl(jpki);
            return jpki;
        });
        services.AddSingleton(sp => CardReadVerifier.Create(sp.GetRequiredService<CityRegistry>(), sp.GetRequiredService<IOptions<IngestOptions>>().Value.CardKeysFile, sp.GetRequiredService<JpkiTrust>()));
        services.AddSingleton(sp => new IngestPipeline(
            sp.GetRequiredService<CityRegistry>(), sp.GetRequiredService<IIngestStore>(), time, metrics, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Maebashi.Edge.Ingest"),
            cardReads: sp.GetRequiredService<CardReadVerifier>(), quarantine: sp.GetRequiredService<IOptions<IngestOptions>>().Value.QuarantineLimits));
        services.AddSingleton<IngestQueries>();
        services.AddSingleton<BusLocations>();
        services.AddSingleton<VehiclePositionsFeed>();

        services.AddHostedService<StartupLoad>();
        services.AddHostedService<LegacyWebStateImport>();
        services.AddSingleton<BrokerService>();
        services.AddHostedService(sp => sp.GetRequiredService<BrokerService>());
        services.AddHostedService<TripCloseClock>();
        services.AddHostedService<QuarantineUpkeep>();
        services.AddHostedService<TapRetentionUpkeep>();

        services.AddIngestMetrics(metrics);
        services.AddProblemDetails();
        // Cookies and antiforgery tokens are protected with keys kept in the store: every worker on one store accepts
        // another's, and a restart keeps the sessions (docs/decisions.md, "Shared state of several workers").
        services.AddDataProtection().SetApplicationName(StoreXmlRepository.ApplicationName);
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((o, sp) => o.XmlRepository = new StoreXmlRepository(sp.GetRequiredService<IIngestStore>));
        AuthenticationBuilder authentication = services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddConsole(authentication, time);
        services.AddMyPage(authentication, time);
        services.AddAuthorization(ScopePolicies.AddTo);
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();

        WebApplication app = builder.Build();
        if (options.BehindProxy is not null)
        {
            app.UseForwardedHeaders();
        }

        app.UseHsts();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseConsole();
        app.UseMyPage();
        // Routing after the console's status pages, so that their re-execution is routed afresh.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapIngestMetrics();
        app.MapIngestApi();
        app.MapCardApi();
        app.MapValueChangeApi();
        app.MapGtfsRealtime();
        app.MapConsole();
        return app;
    }

    /// <summary>
    /// The registry file, or with PostgreSQL the registry the database holds, after importing the file when it is not
    /// the one imported (under a lock: workers starting together import once).
    /// </summary>
    /// <remarks>
    /// With LiteDB the file is read before the store is opened (<paramref name="store"/> is not called, and the registry
    /// is the first thing the hosted services ask for): the export's parse and the store's states are then never in
    /// memory at once, which on the one-year store took the start's peak past 1 GiB (docs/benchmarks.md, session 22).
    /// </remarks>
    private static CityRegistry LoadRegistry(IngestOptions options, Func<IIngestStore> store, ILogger logger)
    {
        var sw = Stopwatch.StartNew();
        string? path = options.RegistryPath;
        CityRegistry registry;
        if (!IngestStoreOption.IsLiteDb(options) && store() is PostgresIngestStore postgres)
        {
            if (path is not null)
            {
                RegistryImport import = postgres.Registry.Import(path);
                if (import.ReplacedAt is { } replacedAt)
                {
                    // A host whose file was not updated must not take every worker back to an older registry.
                    logger.LogWarning("--registry {Path} is an export the store replaced at {ReplacedAt:O}: not imported; running with the store's newer registry {Sha256} (update the file on this host, or roll back on purpose with `ingest registry import`)",
                        path, replacedAt, import.Sha256);
                }
                else
                {
                    logger.LogInformation("Registry {Sha256} {State} in {Millis} ms", import.Sha256, import.Applied ? "imported into the store" : "already in the store", sw.ElapsedMilliseconds);
                }
            }

            registry = postgres.Registry.Load();
        }
        else
        {
            // The file's entries packed as a PostgreSQL worker holds them (a tenth of the memory at city scale).
            CityRegistry loaded = RegistryLoader.Load(path!);
            RegistryDocument rest = loaded.Document;
            registry = CityRegistry.WithPeople(rest, PackedRegistryPeople.From(loaded.People));
            rest.Persons = null;
        }

        // What was read to pack the registry is garbage now; a compacting collection gives its pages back at start
        // rather than leaving them resident for the life of the process.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        logger.LogInformation("Registry loaded in {Millis} ms: {Persons} persons, {Cards} cards, {Devices} devices",
            sw.ElapsedMilliseconds, registry.PersonCount, registry.CardCount, registry.Devices.Count());
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            _metrics.Dispose();
        }
    }

    /// <summary>Leaves start and stop to whoever started the ingest, instead of the console's Ctrl+C and SIGTERM.</summary>
    private sealed class CallerOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
