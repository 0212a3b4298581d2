namespace Maebashi.Edge.Contract.Messages;

/// <summary>Event types of MQTT contract v1 (docs/contract.md §5).</summary>
public static class EventTypes
{
    public const string Board = "board";
    public const string Alight = "alight";
    public const string TripEnd = "trip_end";
    public const string EventIn = "event_in";
    public const string EventOut = "event_out";
    public const string ClinicCheckin = "clinic_checkin";

    public static readonly IReadOnlyList<string> All = [Board, Alight, TripEnd, EventIn, EventOut, ClinicCheckin];

    public static bool IsKnown(string? type) => type is Board or Alight or TripEnd or EventIn or EventOut or ClinicCheckin;

    public static bool IsBus(string? type) => type is Board or Alight or TripEnd;
}

/// <summary>The device's decision on the spot.</summary>
public static class Decisions
{
    public const string Accept = "accept";
    public const string Deny = "deny";
}

/// <summary><c>{"device": id, "events": [event…]}</c> published on <c>maebashi/v1/dev/{id}/evt</c>.</summary>
public sealed class EventBatch
{
    public string Device { get; set; } = "";
    public List<TapEvent> Events { get; set; } = [];
}

/// <summary>One decided tap (or a trip end) as the device recorded it.</summary>
public sealed class TapEvent
{
    /// <summary>Per-device sequence number, strictly increasing, never reused.</summary>
    public ulong Seq { get; set; }

    public string Type { get; set; } = "";

    /// <summary>Event time with the device's offset, as ISO 8601.</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>
    /// <c>at</c> exactly as the batch carried it (set by the batch reader; never serialized): a My Number card's
    /// signature covers this text byte for byte.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? AtText { get; set; }

    /// <summary>Missing only on <c>trip_end</c>.</summary>
    public CardRef? Card { get; set; }

    public TapContext Ctx { get; set; } = new();

    public string Decision { get; set; } = Decisions.Accept;

    public string? Reason { get; set; }
}

/// <summary>The card as the cloud sees it: a token, never the raw UID.</summary>
public sealed class CardRef
{
    public string Tok { get; set; } = "";
    public string Tech { get; set; } = "";

    /// <summary>An NTAG 424 DNA city card's SUN message, as the reader read it (docs/contract.md §2).</summary>
    public CardSun? Sun { get; set; }

    /// <summary>A My Number card's proof at clinic reception: its certificate and its signature of the tap (docs/contract.md §2).</summary>
    public CardJpki? Jpki { get; set; }
}

/// <summary>
/// The Secure Unique NFC message an NTAG 424 DNA card mirrors on each read: the encrypted PICC data and the
/// truncated MAC, hex (either case). Only the ingest, holding the city's keys, can read or check them.
/// </summary>
public sealed class CardSun
{
    /// <summary>Encrypted PICC data: 16 bytes, 32 hex digits.</summary>
    public string E { get; set; } = "";

    /// <summary>SDMMAC: 8 bytes, 16 hex digits.</summary>
    public string C { get; set; } = "";

    public const int EncryptedHexLength = 32;
    public const int MacHexLength = 16;
}

/// <summary>
/// What a My Number card proves at a clinic's reception after the patient's PIN: its JPKI user-authentication
/// certificate and its signature (RSA PKCS#1 v1.5, SHA-256) of the ASCII string <c>{deviceId}|{seq}|{at}</c>,
/// both base64. The ingest verifies and discards them; only the serial, issuer, validity and a hash are kept.
/// </summary>
public sealed class CardJpki
{
    /// <summary>The certificate, base64 of its DER.</summary>
    public string Cert { get; set; } = "";

    /// <summary>The signature, base64.</summary>
    public string Sig { get; set; } = "";

    /// <summary>A certificate's DER is at most this long (a JPKI certificate is about 1.5 KB).</summary>
    public const int MaxCertificateBytes = 4096;

    /// <summary>A signature is at most this long (RSA-4096).</summary>
    public const int MaxSignatureBytes = 512;

    /// <summary>The bytes the card signs for a tap: <c>{deviceId}|{seq}|{at}</c>, <paramref name="at"/> exactly as the event carries it.</summary>
    public static byte[] SignedMessage(string deviceId, ulong seq, string at) =>
        System.Text.Encoding.ASCII.GetBytes(deviceId + "|" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|" + at);
}

/// <summary>
/// Context of a tap. Bus: route, vehicle, stop. Event site: event. Clinic: clinic, queue.
/// Validators add <c>offline</c> when they accepted without the host's verdict.
/// </summary>
public sealed class TapContext
{
    public string? Route { get; set; }
    public string? Vehicle { get; set; }
    public string? Stop { get; set; }
    public string? Event { get; set; }
    public string? Clinic { get; set; }
    public int? Queue { get; set; }
    public bool? Offline { get; set; }
    public string? Door { get; set; }

    /// <summary>Bus: where <see cref="Stop"/> came from, a <see cref="StopSources"/> value.</summary>
    public string? StopSource { get; set; }
}

/// <summary>Where a bus tap's stop came from (<c>ctx.stopSource</c>).</summary>
public static class StopSources
{
    /// <summary>The GPS geofence put the bus at the stop.</summary>
    public const string Gps = "gps";

    /// <summary>The driver set it on the control socket; the driver's word wins over the GPS.</summary>
    public const string Driver = "driver";

    /// <summary>Between stops: the last stop the bus passed.</summary>
    public const string Last = "last";
}
