using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Terminal.Config;

/// <summary>Checks every value of the configuration; each failure names the key and what is expected.</summary>
public sealed class TerminalOptionsValidator : IValidateOptions<TerminalOptions>
{
    public static readonly IReadOnlyList<string> KnownTapMeanings = ["board", "alight", "in", "out"];

    public ValidateOptionsResult Validate(string? name, TerminalOptions o)
    {
        List<string> problems = Check(o);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static List<string> Check(TerminalOptions o)
    {
        var p = new List<string>();
        if (!Topics.IsValidDeviceId(o.DeviceId))
        {
            p.Add($"DeviceId: expected a device id of letters, digits, '-' or '_' (1–64), got '{o.DeviceId}'");
        }

        if (!DeviceRoles.IsKnown(o.Role))
        {
            p.Add($"Role: expected bus, event or clinic, got '{o.Role}'");
        }

        if (string.IsNullOrWhiteSpace(o.StateDirectory))
        {
            p.Add("StateDirectory: expected a directory for the ledger and state, got nothing");
        }

        Secret(p, "DeviceKeyFile", o.DeviceKeyFile, o, required: true);
        Secret(p, "RegionKeyFile", o.RegionKeyFile, o, required: true);
        Secret(p, "Broker:PasswordFile", o.Broker.PasswordFile, o, required: false);
        Duration(p, "RepeatWindow", o.RepeatWindow, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        if (o.UtcOffset < TimeSpan.FromHours(-14) || o.UtcOffset > TimeSpan.FromHours(14) || o.UtcOffset.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            p.Add($"UtcOffset: expected an offset from -14:00:00 to 14:00:00 in whole minutes, got {o.UtcOffset}");
        }

        BrokerOptions b = o.Broker;
        if (string.IsNullOrWhiteSpace(b.Host))
        {
            p.Add("Broker:Host: expected a host name or address, got nothing");
        }

        Range(p, "Broker:Port", b.Port, 1, 65535);
        if (b.CaFile is { Length: > 0 } ca && !File.Exists(o.Resolve(ca)))
        {
            p.Add($"Broker:CaFile: expected a PEM file, {o.Resolve(ca)} does not exist");
        }

        if (string.IsNullOrEmpty(b.ClientCertFile) != string.IsNullOrEmpty(b.ClientKeyFile))
        {
            p.Add("Broker:ClientCertFile and Broker:ClientKeyFile: give both or neither");
        }
        else if (b.ClientCertFile is { Length: > 0 } cert)
        {
            if (!File.Exists(o.Resolve(cert)))
            {
                p.Add($"Broker:ClientCertFile: expected a PEM file, {o.Resolve(cert)} does not exist");
            }

            Secret(p, "Broker:ClientKeyFile", b.ClientKeyFile, o, required: true);
        }

        if (!b.Tls && (b.CaFile is { Length: > 0 } || b.ClientCertFile is { Length: > 0 }))
        {
            p.Add("Broker:Tls: a CA or client certificate is configured but TLS is off");
        }

        Duration(p, "Broker:SessionExpiry", b.SessionExpiry, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(uint.MaxValue - 1));
        Duration(p, "Broker:KeepAlive", b.KeepAlive, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(ushort.MaxValue));
        Duration(p, "Broker:ConnectTimeout", b.ConnectTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Duration(p, "Broker:ReconnectMin", b.ReconnectMin, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Duration(p, "Broker:ReconnectMax", b.ReconnectMax, b.ReconnectMin, TimeSpan.FromHours(1));

        UplinkOptions u = o.Uplink;
        Range(p, "Uplink:BatchSize", u.BatchSize, 1, 1000);
        Range(p, "Uplink:MaxInflightBatches", u.MaxInflightBatches, 1, 64);
        Duration(p, "Uplink:AckTimeout", u.AckTimeout, TimeSpan.FromMilliseconds(50), TimeSpan.FromHours(1));
        Duration(p, "Uplink:AckTimeoutMax", u.AckTimeoutMax, u.AckTimeout, TimeSpan.FromDays(1));
        Duration(p, "Uplink:UndeliveredRetry", u.UndeliveredRetry, TimeSpan.FromMilliseconds(50), TimeSpan.FromHours(1));
        Duration(p, "Uplink:StatusInterval", u.StatusInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Duration(p, "Uplink:PositionInterval", u.PositionInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Duration(p, "Uplink:PruneInterval", u.PruneInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));

        Ledger.LedgerOptions l = o.Ledger;
        Duration(p, "Ledger:Retention", l.Retention, TimeSpan.Zero, TimeSpan.FromDays(366));
        Range(p, "Ledger:SeqBlock", l.SeqBlock, 1, 1_000_000);
        Range(p, "Ledger:CheckpointPages", l.CheckpointPages, 1, 100_000);
        Duration(p, "Ledger:AckWriteInterval", l.AckWriteInterval, TimeSpan.Zero, TimeSpan.FromHours(1));
        if (l.MinFreeBytes < 0)
        {
            p.Add($"Ledger:MinFreeBytes: expected a number of bytes ≥ 0, got {l.MinFreeBytes}");
        }

        if (l.MaxBytes < 1024 * 1024)
        {
            p.Add($"Ledger:MaxBytes: expected at least 1048576 bytes (1 MiB), got {l.MaxBytes}");
        }

        FeedbackOptions f = o.Feedback;
        if (f.Gpio is not ("none" or "chip"))
        {
            p.Add($"Feedback:Gpio: expected none or chip, got '{f.Gpio}'");
        }

        Range(p, "Feedback:GreenPin", f.GreenPin, -1, 1023);
        Range(p, "Feedback:RedPin", f.RedPin, -1, 1023);
        Range(p, "Feedback:BuzzerPin", f.BuzzerPin, -1, 1023);
        int[] pins = [.. new[] { f.GreenPin, f.RedPin, f.BuzzerPin }.Where(x => x >= 0)];
        if (pins.Length != pins.Distinct().Count())
        {
            p.Add("Feedback: GreenPin, RedPin and BuzzerPin must be different pins");
        }

        Duration(p, "Feedback:LightFor", f.LightFor, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(30));
        Duration(p, "Feedback:BeepFor", f.BeepFor, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5));
        Range(p, "Control:Port", o.Control.Port, 0, 65535);
        CheckKeypad(p, o);
        if (o.Gps.Port is not null)
        {
            if (string.IsNullOrWhiteSpace(o.Gps.Port))
            {
                p.Add("Gps:Port: expected a serial device such as /dev/serial0, got nothing (leave the key out for no GPS)");
            }

            if (o.Role != DeviceRoles.Bus)
            {
                p.Add($"Gps:Port: a GPS receiver is for the bus role, not '{o.Role}'");
            }

            if (!Gps.GpsOptions.BaudRates.Contains(o.Gps.BaudRate))
            {
                p.Add($"Gps:BaudRate: expected one of {string.Join(", ", Gps.GpsOptions.BaudRates)}, got {o.Gps.BaudRate}");
            }
        }


        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < o.Readers.Count; i++)
        {
            ReaderOptions r = o.Readers[i];
            string key = $"Readers:{i}";
            if (string.IsNullOrWhiteSpace(r.Name))
            {
                p.Add($"{key}:Name: expected a reader name, got nothing");
            }
            else if (!names.Add(r.Name))
            {
                p.Add($"{key}:Name: '{r.Name}' is used by another reader");
            }

            if (string.IsNullOrWhiteSpace(r.Driver))
            {
                p.Add($"{key}:Driver: expected a driver (injected, mfrc522, pn532, emulated…), got nothing");
            }

            if (r.Tap is not null && !KnownTapMeanings.Contains(r.Tap))
            {
                p.Add($"{key}:Tap: expected board, alight, in or out, got '{r.Tap}'");
            }
            else if (o.Role == DeviceRoles.Bus && r.Tap is "in" or "out")
            {
                p.Add($"{key}:Tap: a bus reader is board or alight, got '{r.Tap}'");
            }
            else if (o.Role == DeviceRoles.Event && r.Tap is "board" or "alight")
            {
                p.Add($"{key}:Tap: an event-site reader is in or out, got '{r.Tap}'");
            }
        }

        return p;
    }

    private static void Secret(List<string> p, string key, string? path, TerminalOptions o, bool required)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            if (required)
            {
                p.Add($"{key}: expected the path of an owner-only key file, got nothing");
            }

            return;
        }

        if (SecretFile.Problem(o.Resolve(path)) is { } why)
        {
            p.Add($"{key}: {why}");
        }
    }

    private static void CheckKeypad(List<string> p, TerminalOptions o)
    {
        KeypadOptions k = o.Keypad;
        if (!k.Fitted)
        {
            return;
        }

        if (k.RowPins.Count != 4 || k.ColumnPins.Count != 3)
        {
            p.Add($"Keypad:RowPins and Keypad:ColumnPins: a 4×3 keypad has 4 row pins and 3 column pins, got {k.RowPins.Count} and {k.ColumnPins.Count}");
        }

        foreach ((string key, List<int> pins) in new[] { ("Keypad:RowPins", k.RowPins), ("Keypad:ColumnPins", k.ColumnPins) })
        {
            foreach (int pin in pins)
            {
                Range(p, key, pin, 0, 1023);
            }
        }

        int[] feedback = [o.Feedback.GreenPin, o.Feedback.RedPin, o.Feedback.BuzzerPin];
        List<int> all = [.. k.RowPins, .. k.ColumnPins];
        if (all.Distinct().Count() != all.Count || all.Any(feedback.Contains))
        {
            p.Add($"Keypad: its 7 pins must be different from each other and from the Feedback pins, got rows {string.Join(",", k.RowPins)} and columns {string.Join(",", k.ColumnPins)}");
        }

        Duration(p, "Keypad:ScanInterval", k.ScanInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(50));
        Duration(p, "Keypad:KeyTimeout", k.KeyTimeout, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));
        if (o.Role != DeviceRoles.Clinic)
        {
            p.Add($"Keypad: a PIN keypad is for the clinic role, not '{o.Role}'");
        }
    }

    private static void Range(List<string> p, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            p.Add($"{key}: expected a whole number from {min} to {max}, got {value}");
        }
    }

    private static void Duration(List<string> p, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            p.Add($"{key}: expected a duration from {min} to {max} (hh:mm:ss), got {value}");
        }
    }
}

/// <summary>The configuration file could not be used; <see cref="Problems"/> name each key and what is expected.</summary>
public sealed class TerminalConfigException(string path, IReadOnlyList<string> problems)
    : Exception($"{path}: " + string.Join("; ", problems))
{
    public string Path { get; } = path;
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Loads and validates a terminal configuration file outside the host (the technicians' verbs).</summary>
public static class TerminalConfig
{
    public static IConfigurationRoot Build(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new TerminalConfigException(path, ["no such file"]);
        }

        try
        {
            return new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new TerminalConfigException(path, [$"not valid JSON: {e.InnerException?.Message ?? e.Message}"]);
        }
    }

    /// <summary>Binds a configuration strictly: unknown keys and values of the wrong type are problems naming the key.</summary>
    public static TerminalOptions Bind(IConfiguration config, string path)
    {
        var o = new TerminalOptions();
        try
        {
            config.Bind(o, b => b.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new TerminalConfigException(path, [Explain(e)]);
        }

        o.BaseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        return o;
    }

    public static TerminalOptions Load(string path)
    {
        TerminalOptions o = Bind(Build(path), path);
        List<string> problems = TerminalOptionsValidator.Check(o);
        return problems.Count > 0 ? throw new TerminalConfigException(path, problems) : o;
    }

    /// <summary>Turns the binder's message into "key: expected …".</summary>
    public static string Explain(Exception e)
    {
        string m = e.Message;
        // "Failed to convert configuration value '…' at 'Uplink:AckTimeout' to type 'System.TimeSpan'."
        int at = m.IndexOf(" at '", StringComparison.Ordinal);
        int to = m.IndexOf("' to type '", StringComparison.Ordinal);
        if (at > 0 && to > at)
        {
            string key = m[(at + 5)..to];
            string type = m[(to + 11)..].TrimEnd('.', '\'');
            string expected = type switch
            {
                "System.TimeSpan" => "a duration such as \"00:00:10\" (hh:mm:ss)",
                "System.Int32" or "System.Int64" => "a whole number",
                "System.Boolean" => "true or false",
                _ => type,
            };
            return $"{key}: expected {expected}";
        }

        // "'ErrorOnUnknownConfiguration' was set …, but the following properties were not found on the instance of T: 'A', 'B'"
        int on = m.IndexOf("on the instance of ", StringComparison.Ordinal);
        if (on > 0 && m.IndexOf(": ", on, StringComparison.Ordinal) is int colon and > 0)
        {
            string type = m[(on + 19)..colon];
            string section = type[(type.LastIndexOf('.') + 1)..] switch
            {
                nameof(BrokerOptions) => "Broker:",
                nameof(UplinkOptions) => "Uplink:",
                nameof(Ledger.LedgerOptions) => "Ledger:",
                nameof(FeedbackOptions) => "Feedback:",
                nameof(ControlOptions) => "Control:",
                nameof(Gps.GpsOptions) => "Gps:",
                nameof(KeypadOptions) => "Keypad:",
                nameof(ReaderOptions) => "Readers:n:",
                _ => "",
            };
            string keys = string.Join(", ", m[(colon + 2)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(k => section + k.Trim('\'', '.')));
            return $"{keys}: unknown key (a misspelling? see docs/terminal.md for the keys)";
        }

        return m;
    }
}
