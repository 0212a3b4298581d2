using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Terminal.Gps;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Config;

/// <summary>
/// The terminal's configuration file (JSON), bound and validated at start. Durations are
/// TimeSpans written as <c>"hh:mm:ss"</c> (or <c>"d.hh:mm:ss"</c>); relative paths are relative to
/// the configuration file.
/// </summary>
public sealed class TerminalOptions
{
    /// <summary>The device id of the registry; the broker user name and the topic level.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary><c>bus</c>, <c>event</c> or <c>clinic</c>; a <c>cfg</c> for another role is ignored.</summary>
    public string Role { get; set; } = "";

    /// <summary>The ledger, the last good cfg and deny list, the sequence reservation.</summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>File holding the device key in hex; must be readable by its owner only.</summary>
    public string DeviceKeyFile { get; set; } = "";

    /// <summary>File holding the region key (card tokens) in hex; must be readable by its owner only.</summary>
    public string RegionKeyFile { get; set; } = "";

    /// <summary>The vehicle this terminal rides on (bus role); defaults to the cfg's.</summary>
    public string? Vehicle { get; set; }

    /// <summary>A tap of the same card within this time of its first tap is the same tap.</summary>
    public TimeSpan RepeatWindow { get; set; } = RuleWindows.Repeat;

    /// <summary>The local time zone's offset (Japan: 09:00); events carry it and clinic days follow it.</summary>
    public TimeSpan UtcOffset { get; set; } = TimeSpan.FromHours(9);

    public BrokerOptions Broker { get; set; } = new();
    public UplinkOptions Uplink { get; set; } = new();
    public LedgerOptions Ledger { get; set; } = new();
    public FeedbackOptions Feedback { get; set; } = new();
    public ControlOptions Control { get; set; } = new();

    /// <summary>A bus's GNSS receiver (docs/gps.md); none by default.</summary>
    public GpsOptions Gps { get; set; } = new();

    /// <summary>The PIN keypad at clinic reception (hardware/keypad.md); none by default.</summary>
    public KeypadOptions Keypad { get; set; } = new();

    public List<ReaderOptions> Readers { get; set; } = [];

    /// <summary>Directory of the configuration file (set when loaded; not read from the file).</summary>
    internal string BaseDirectory { get; set; } = Environment.CurrentDirectory;

    internal string Resolve(string path) => Path.GetFullPath(Path.Combine(BaseDirectory, path));
}

public sealed class BrokerOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 1883;

    /// <summary>TLS to the broker (for any broker not on loopback, docs/contract.md §9).</summary>
    public bool Tls { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate; the system's trust store if absent.</summary>
    public string? CaFile { get; set; }

    /// <summary>The terminal's client certificate (PEM, CN = its device id), for a broker that requires one.</summary>
    public string? ClientCertFile { get; set; }

    /// <summary>The client certificate's private key (PEM, owner-only file).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// A broker password other than the one derived from the device key (owner-only file). Normally
    /// absent: the password is base64url(HMAC-SHA256(deviceKey, "mqtt-password")).
    /// </summary>
    public string? PasswordFile { get; set; }

    /// <summary>How long the broker keeps the session (subscriptions, queued acks) while the terminal is away.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan ReconnectMin { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromMinutes(1);
}

public sealed class UplinkOptions
{
    /// <summary>Events per <c>evt</c> batch (a batch also stays under 256 KiB).</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Batches published and not yet acknowledged at once.</summary>
    public int MaxInflightBatches { get; set; } = 4;

    /// <summary>A batch not acknowledged by the ingest within this time is sent again; doubles each time up to <see cref="AckTimeoutMax"/>.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan AckTimeoutMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A batch the broker answers with "no matching subscribers" (PUBACK 16: no ingest subscribed, e.g. right after
    /// a broker restart, before the ingest is back) was dropped: it is sent again after this delay, doubling while
    /// it stays undelivered (up to <see cref="AckTimeoutMax"/>), instead of after the ack timeout.
    /// </summary>
    public TimeSpan UndeliveredRetry { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the retained status is refreshed (it is also sent when the backlog empties or fills).</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>While the bus moves (GPS), the status, with its position, is sent this often (docs/contract.md §5.5).</summary>
    public TimeSpan PositionInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often acknowledged entries past their retention are pruned.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class FeedbackOptions
{
    /// <summary><c>none</c> (display only), <c>chip</c> (the board's GPIO chip, System.Device.Gpio).</summary>
    public string Gpio { get; set; } = "none";

    /// <summary>GPIO numbers (BCM); -1 when not fitted.</summary>
    public int GreenPin { get; set; } = -1;
    public int RedPin { get; set; } = -1;
    public int BuzzerPin { get; set; } = -1;

    /// <summary>LEDs and buzzer wired to switch on at low level.</summary>
    public bool ActiveLow { get; set; }

    public TimeSpan LightFor { get; set; } = TimeSpan.FromMilliseconds(800);
    public TimeSpan BeepFor { get; set; } = TimeSpan.FromMilliseconds(120);

    /// <summary>The display line is also written to this file (a display driver or the simulator reads it).</summary>
    public string? DisplayFile { get; set; }
}

/// <summary>
/// A 4×3 matrix keypad (1–9, *, 0, #) on GPIO, for My Number cards' PINs at clinic reception. The rows are driven high
/// one at a time and the columns read, with the board's pull-downs (Iot.Device.KeyMatrix). No pins: no keypad.
/// </summary>
public sealed class KeypadOptions
{
    /// <summary>The row pins (BCM), top row (1 2 3) first: 4 of them, or none for no keypad.</summary>
    public List<int> RowPins { get; set; } = [];

    /// <summary>The column pins (BCM), left column (1 4 7 *) first: 3 of them, or none for no keypad.</summary>
    public List<int> ColumnPins { get; set; } = [];

    /// <summary>Time between the scans of two rows (a key is seen within four of these).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>How long the patient has for each key before the PIN entry gives up.</summary>
    public TimeSpan KeyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a keypad is configured.</summary>
    public bool Fitted => RowPins.Count > 0 || ColumnPins.Count > 0;
}

/// <summary>The local control socket: the announcement unit (route, stop, end of run) and injected taps, on loopback only.</summary>
public sealed class ControlOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (written to <c>control.port</c> in the state directory).</summary>
    public int Port { get; set; }
}

/// <summary>One card reader or validator attached to the terminal.</summary>
public sealed class ReaderOptions
{
    public string Name { get; set; } = "";

    /// <summary>
    /// <c>injected</c> (taps through the control socket or code), or a driver the reader
    /// library provides (<c>mfrc522</c>, <c>pn532</c>, <c>emulated</c>…).
    /// </summary>
    public string Driver { get; set; } = "injected";

    /// <summary>Where the reader is: <c>front</c>, <c>rear</c>, <c>entrance</c>…; sent as <c>ctx.door</c>.</summary>
    public string? Door { get; set; }

    /// <summary>What a tap at this reader means: bus <c>board</c>/<c>alight</c>, event site <c>in</c>/<c>out</c>; clinic ignores it.</summary>
    public string? Tap { get; set; }

    /// <summary>Driver settings (SPI bus, chip select, reset pin, serial port…), passed to the driver as they are.</summary>
    public Dictionary<string, string> Settings { get; set; } = [];
}
