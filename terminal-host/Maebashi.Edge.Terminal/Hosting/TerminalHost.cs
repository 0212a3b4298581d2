using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Terminal.Hosting;

/// <summary>
/// The Generic Host of <c>maebashi-terminal run --config FILE</c> (and <c>maebashi-edge terminal run</c>): the configuration file bound
/// strictly and validated at start (<c>ValidateOnStart</c>), systemd integration (notify, journal
/// log format) and the terminal as a hosted service.
/// </summary>
public static class TerminalHost
{
    public static IHost Build(string configPath, Action<TerminalParts>? customize = null, LogLevel minimumLevel = LogLevel.Information)
    {
        string full = Path.GetFullPath(configPath);
        string dir = Path.GetDirectoryName(full)!;
        if (!File.Exists(full))
        {
            throw new TerminalConfigException(configPath, ["no such file"]);
        }

        // This process is the terminal alone: its ledger's page cache stays small (the 100 MB budget).
        LiteDbPageCache.LimitSegments(LiteDbPageCache.TerminalSegmentPages);
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = dir,
        });
        // The file alone is the configuration (not the host's own keys such as contentRoot).
        IConfigurationRoot file = TerminalConfig.Build(configPath);

        builder.Services.AddSystemd();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Services.AddOptions<TerminalOptions>()
            .Bind(file, b => b.ErrorOnUnknownConfiguration = true)
            .PostConfigure(o => o.BaseDirectory = dir)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TerminalOptions>, TerminalOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var parts = new TerminalParts { Loggers = sp.GetRequiredService<ILoggerFactory>(), Time = sp.GetRequiredService<TimeProvider>() };
            customize?.Invoke(parts);
            return parts;
        });
        builder.Services.AddHostedService<TerminalService>();
        return builder.Build();
    }

    /// <summary>
    /// Runs the service until stopped; returns the exit code. A configuration that is wrong stops it
    /// with every problem printed (key and what is expected), each line led by <paramref name="program"/>,
    /// and exit code 1.
    /// </summary>
    public static async Task<int> RunAsync(string configPath, TextWriter errors, string program, Action<TerminalParts>? customize = null, CancellationToken ct = default)
    {
        try
        {
            // Checked here first so that a wrong value stops the service with the key named and
            // no stack trace; the host validates again at start (ValidateOnStart).
            TerminalConfig.Load(configPath);
            using IHost host = Build(configPath, customize);
            await host.RunAsync(ct);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            foreach (string failure in e.Failures)
            {
                await errors.WriteLineAsync($"{program}: {configPath}: {failure}");
            }

            return 1;
        }
        catch (TerminalConfigException e)
        {
            foreach (string p in e.Problems)
            {
                await errors.WriteLineAsync($"{program}: {e.Path}: {p}");
            }

            return 1;
        }
        catch (SecretFileException e)
        {
            await errors.WriteLineAsync($"{program}: {configPath}: {e.Message}");
            return 1;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
        {
            // The binder's "Failed to convert configuration value … at 'Key' …" and unknown keys.
            await errors.WriteLineAsync($"{program}: {configPath}: {TerminalConfig.Explain(e)}");
            return 1;
        }
    }
}

/// <summary>Runs one <see cref="TerminalRuntime"/> for the host's lifetime.</summary>
internal sealed class TerminalService(IOptions<TerminalOptions> options, TerminalParts parts, ILogger<TerminalService> log) : IHostedService, IAsyncDisposable
{
    private TerminalRuntime? _runtime;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _runtime = TerminalRuntime.Create(options.Value, parts);
        await _runtime.StartAsync(CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_runtime is not null)
        {
            log.LogInformation("Stopping: {Backlog} entries stay in the ledger for the next start", _runtime.Ledger.Backlog);
            await _runtime.DisposeAsync();
            _runtime = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            await _runtime.DisposeAsync();
        }
    }
}
