namespace Maebashi.Edge.Contract.Messages;

/// <summary>What a topic of contract v1 carries.</summary>
public enum TopicKind
{
    Events,
    Ack,
    Config,
    Status,
    Deny,
}

/// <summary>Every topic name of MQTT contract v1 (docs/contract.md §5), built and parsed here only.</summary>
public static class Topics
{
    public const string Root = "maebashi/v1";
    public const string Deny = Root + "/deny";
    private const string DevicePrefix = Root + "/dev/";

    public static string Events(string deviceId) => Device(deviceId, "evt");
    public static string Ack(string deviceId) => Device(deviceId, "ack");
    public static string Config(string deviceId) => Device(deviceId, "cfg");
    public static string Status(string deviceId) => Device(deviceId, "status");

    /// <summary>Subscription filter for every device's events.</summary>
    public const string AllEvents = DevicePrefix + "+/evt";

    /// <summary>Subscription filter for every device's status.</summary>
    public const string AllStatus = DevicePrefix + "+/status";

    /// <summary>A shared subscription so that several ingest processes split the work (MQTT 5 §4.8.2).</summary>
    public static string Shared(string group, string filter) => $"$share/{group}/{filter}";

    public static bool TryParse(string? topic, out TopicKind kind, out string deviceId)
    {
        kind = default;
        deviceId = "";
        if (topic is null)
        {
            return false;
        }

        if (topic == Deny)
        {
            kind = TopicKind.Deny;
            return true;
        }

        if (!topic.StartsWith(DevicePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> rest = topic.AsSpan(DevicePrefix.Length);
        int slash = rest.IndexOf('/');
        if (slash <= 0 || rest[(slash + 1)..].Contains('/'))
        {
            return false;
        }

        ReadOnlySpan<char> leaf = rest[(slash + 1)..];
        TopicKind? parsed = leaf switch
        {
            "evt" => TopicKind.Events,
            "ack" => TopicKind.Ack,
            "cfg" => TopicKind.Config,
            "status" => TopicKind.Status,
            _ => null,
        };
        if (parsed is null)
        {
            return false;
        }

        kind = parsed.Value;
        deviceId = rest[..slash].ToString();
        return true;
    }

    private static string Device(string deviceId, string leaf)
    {
        if (!IsValidDeviceId(deviceId))
        {
            throw new ArgumentException($"device id '{deviceId}' cannot be used in a topic (letters, digits, '-', '_' only)", nameof(deviceId));
        }

        return DevicePrefix + deviceId + "/" + leaf;
    }

    /// <summary>Device ids are topic levels: no wildcards, slashes or spaces.</summary>
    public static bool IsValidDeviceId(string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId) || deviceId.Length > 64)
        {
            return false;
        }

        foreach (char c in deviceId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
