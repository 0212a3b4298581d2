using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// The last good <c>cfg</c> and deny list. Each message received is parsed and checked before it
/// replaces the one in force; a malformed or foreign one is logged and ignored. The last good of
/// each is kept on disk as received, so a terminal rebooted offline still decides right.
/// </summary>
public sealed class CloudState
{
    public const string ConfigFileName = "cfg.json";
    public const string DenyFileName = "deny.json";

    private readonly string? _directory;
    private readonly string _deviceId;
    private readonly string _role;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private volatile DeviceConfig? _config;
    private volatile DenySet _deny = new(null, new HashSet<string>(StringComparer.Ordinal), null);

    public CloudState(string? directory, string deviceId, string role, TimeProvider? time = null, ILogger? log = null)
    {
        _directory = directory;
        _deviceId = deviceId;
        _role = role;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        LoadSaved();
    }

    /// <summary>Raised after a new cfg or deny list is in force.</summary>
    public event Action? Changed;

    public DeviceConfig? Config => _config;
    public DateTimeOffset? ConfigReceivedAt { get; private set; }
    public long? DenyVersion => _deny.Version;
    public DateTimeOffset? DenyReceivedAt => _deny.ReceivedAt;
    public int DenyCount => _deny.Tokens.Count;

    public bool IsDenied(string token) => _deny.Tokens.Contains(token);

    /// <summary>Applies a received cfg; returns null when in force, else why it was ignored.</summary>
    public string? ApplyConfig(ReadOnlySpan<byte> payload, bool persist = true)
    {
        DeviceConfig cfg;
        if (MissingFields(payload, "version", "role") is { } missing)
        {
            return Ignored("cfg", missing);
        }

        try
        {
            cfg = ContractJson.ParseConfig(payload);
        }
        catch (ContractFormatException e)
        {
            return Ignored("cfg", e.Message);
        }

        if (!string.IsNullOrEmpty(cfg.Device) && cfg.Device != _deviceId)
        {
            return Ignored("cfg", $"device: for '{cfg.Device}', this terminal is '{_deviceId}'");
        }

        if (cfg.Role != _role)
        {
            return Ignored("cfg", $"role: '{cfg.Role}', this terminal is provisioned as '{_role}'");
        }

        if (CheckConfig(cfg) is { } bad)
        {
            return Ignored("cfg", bad);
        }

        if (_config is { } current && cfg.Version < current.Version)
        {
            return Ignored("cfg", $"version {cfg.Version} is older than the one in force ({current.Version})");
        }

        if (persist)
        {
            Save(ConfigFileName, payload);
        }

        _config = cfg;
        ConfigReceivedAt = persist ? _time.GetUtcNow() : ConfigReceivedAt;
        _log.LogInformation("cfg version {Version} in force", cfg.Version);
        Changed?.Invoke();
        return null;
    }

    /// <summary>Applies a received deny list; returns null when in force, else why it was ignored.</summary>
    public string? ApplyDeny(ReadOnlySpan<byte> payload, bool persist = true)
    {
        DenyList deny;
        // A deny list without its tokens must not pass for an empty one: that would let every lost card ride.
        if (MissingFields(payload, "version", "tokens") is { } missing)
        {
            return Ignored("deny", missing);
        }

        try
        {
            deny = ContractJson.ParseDeny(payload);
        }
        catch (ContractFormatException e)
        {
            return Ignored("deny", e.Message);
        }

        int bad = deny.Tokens.FindIndex(t => !Contract.Identity.CardToken.IsWellFormed(t));
        if (bad >= 0)
        {
            return Ignored("deny", $"tokens[{bad}]: not a card token (22 base64url characters)");
        }

        if (_deny.Version is { } v && deny.Version < v)
        {
            return Ignored("deny", $"version {deny.Version} is older than the one in force ({v})");
        }

        if (persist)
        {
            Save(DenyFileName, payload);
        }

        _deny = new DenySet(deny.Version, new HashSet<string>(deny.Tokens, StringComparer.Ordinal), persist ? _time.GetUtcNow() : _deny.ReceivedAt);
        _log.LogInformation("Deny list version {Version} in force ({Count} tokens)", deny.Version, deny.Tokens.Count);
        Changed?.Invoke();
        return null;
    }

    /// <summary>Names the first required top-level field the JSON lacks (the DTOs have defaults that would hide it).</summary>
    private static string? MissingFields(ReadOnlySpan<byte> payload, params string[] fields)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(payload, new System.Text.Json.JsonReaderOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
            using var doc = System.Text.Json.JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return "$: expected a JSON object";
            }

            foreach (string f in fields)
            {
                if (!doc.RootElement.TryGetProperty(f, out var v) || v.ValueKind == System.Text.Json.JsonValueKind.Null)
                {
                    return $"{f}: missing";
                }
            }

            return null;
        }
        catch (System.Text.Json.JsonException e)
        {
            return $"not JSON: {e.Message}";
        }
    }

    private static string? CheckConfig(DeviceConfig cfg)
    {
        foreach (var r in cfg.Routes ?? [])
        {
            if (string.IsNullOrEmpty(r.Id))
            {
                return "routes: a route without id";
            }

            if (r.Kind is not (RouteKinds.Flat or RouteKinds.Zonal or RouteKinds.Table))
            {
                return $"routes[{r.Id}].kind: expected flat, zonal or table, got '{r.Kind}'";
            }

            // A table route's fares are in the cfg's fareTables: without its table the bus could show no fare.
            if (r.Kind == RouteKinds.Table && OdFareTable.Find(cfg.FareTables, r.FareTable) is null)
            {
                return $"routes[{r.Id}].fareTable: '{r.FareTable}' is not among the cfg's fareTables";
            }
        }

        foreach (var e in cfg.Events ?? [])
        {
            if (string.IsNullOrEmpty(e.Id))
            {
                return "events: an event without id";
            }

            if (e.End < e.Start)
            {
                return $"events[{e.Id}]: ends before it starts";
            }
        }

        return null;
    }

    private string Ignored(string what, string why)
    {
        _log.LogWarning("Ignored a {What} message: {Problem}; the last good one stays in force", what, why);
        return why;
    }

    private void Save(string name, ReadOnlySpan<byte> payload)
    {
        if (_directory is null)
        {
            return;
        }

        try
        {
            AtomicFile.Write(Path.Combine(_directory, name), payload);
        }
        catch (IOException e)
        {
            _log.LogError("Could not keep {Name} on disk: {Error}", name, e.Message);
        }
    }

    private void LoadSaved()
    {
        if (_directory is null)
        {
            return;
        }

        foreach ((string name, bool isConfig) in new[] { (ConfigFileName, true), (DenyFileName, false) })
        {
            string path = Path.Combine(_directory, name);
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                byte[] bytes = File.ReadAllBytes(path);
                DateTimeOffset saved = File.GetLastWriteTimeUtc(path);
                string? why = isConfig ? ApplyConfig(bytes, persist: false) : ApplyDeny(bytes, persist: false);
                if (why is null)
                {
                    if (isConfig)
                    {
                        ConfigReceivedAt = saved;
                    }
                    else
                    {
                        _deny = _deny with { ReceivedAt = saved };
                    }
                }
            }
            catch (IOException e)
            {
                _log.LogWarning("Could not read the saved {Name}: {Error}", name, e.Message);
            }
        }
    }

    private sealed record DenySet(long? Version, HashSet<string> Tokens, DateTimeOffset? ReceivedAt);
}
