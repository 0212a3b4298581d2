using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Firmware.Storage;

namespace Maebashi.Edge.ValidatorLink;

/// <summary>Which door a validator serves (provisioned into it).</summary>
public static class Doors
{
    public const byte Front = 1;
    public const byte Rear = 2;

    public static string Name(byte door) => door switch
    {
        Front => "front",
        Rear => "rear",
        _ => $"door{door}",
    };
}

/// <summary>
/// A tap a validator recorded, as the terminal host takes it into its ledger like any other tap. <see cref="Uid"/> is the
/// raw UID: the host turns it into a card token and never logs or uplinks it.
/// </summary>
public sealed record ValidatorTap(
    string DeviceId,
    byte Address,
    byte Door,
    uint Seq,
    DateTimeOffset At,
    CardTech Tech,
    byte[] Uid,
    bool Accepted,
    bool Offline,
    bool ClockSynced,
    TapReason Reason,
    int FareYen)
{
    public string TechWire => Tech.ToWire();

    public string DoorName => Doors.Name(Door);

    /// <summary>The SUN message the card mirrored on this read (firmware 1.1, an NTAG 424 DNA city card); null otherwise.</summary>
    public ValidatorSun? Sun { get; init; }
}

/// <summary>
/// What an NTAG 424 DNA mirrored on a validator's read: the encrypted PICC data <c>e</c> (16 bytes) and the SDMMAC
/// <c>c</c> (8 bytes), carried as the tap's <c>card.sun</c> (docs/contract.md §2). Only the ingest can check them.
/// </summary>
public sealed record ValidatorSun(byte[] Encrypted, byte[] Mac)
{
    public string EncryptedHex => Convert.ToHexString(Encrypted);

    public string MacHex => Convert.ToHexString(Mac);
}

/// <summary>A validator asks what to show for a card (deny list, fare): answer within ~50 ms or it accepts on its own.</summary>
public sealed record ValidatorVerdictRequest(string DeviceId, byte Address, byte Door, uint Seq, DateTimeOffset At, CardTech Tech, byte[] Uid);

/// <summary>The host's answer. <see cref="Display"/> is what the host's own display shows (Japanese and English).</summary>
public sealed record ValidatorVerdict(bool Accept, TapReason Reason, int FareYen)
{
    public static ValidatorVerdict Accepted(int fareYen) => new(true, TapReason.None, fareYen);

    public static ValidatorVerdict Denied(TapReason reason) => new(false, reason, 0);

    public string Display => Accept
        ? $"運賃 {FareYen}円 / Fare ¥{FareYen}"
        : Reason switch
        {
            TapReason.DenyListed => "このカードは使えません / Card not accepted",
            TapReason.InsufficientValue => "残高不足 / Insufficient balance",
            TapReason.UnknownCard => "登録されていないカード / Card not registered",
            _ => "ご利用できません / Not accepted",
        };
}

/// <summary>What the terminal host plugs into the link master.</summary>
public interface IValidatorTapHandler
{
    /// <summary>Decide a tap a validator is holding (deny list, fare display). Called on the poll loop: keep it fast.</summary>
    ValueTask<ValidatorVerdict> DecideAsync(ValidatorVerdictRequest request, CancellationToken cancellationToken);

    /// <summary>Store a recorded tap durably (the ledger). The validator's copy is acknowledged only after this returns;
    /// if it throws, the tap is resent. A tap may arrive twice after a host restart: de-duplicate by (DeviceId, Seq).</summary>
    ValueTask StoreAsync(ValidatorTap tap, CancellationToken cancellationToken);
}

/// <summary>A validator's state as the host last saw it.</summary>
public sealed record ValidatorState(
    byte Address,
    string DeviceId,
    byte Door,
    string Firmware,
    bool Online,
    DateTimeOffset? LastSeen,
    int Backlog,
    bool ChipOk,
    bool ClockSynced,
    bool StorageFull,
    uint LastDeliveredSeq,
    long TapsDelivered);

/// <summary>What a validator reported in its Hello (answer to provisioning).</summary>
public sealed record ValidatorHello(byte Address, string DeviceId, byte Door, string Firmware, uint LastSeq, int Backlog, bool Provisioned, bool ChipOk);

/// <summary>Provisioning for one validator: device id (ASCII, ≤ 32), door, link address (1–127), sequence floor.</summary>
public sealed record ValidatorProvisioning(string DeviceId, byte Door, byte NewAddress, uint SeqFloor = 0);

/// <summary>A frame seen on the line (for <c>validator monitor</c>); UIDs are reduced to their length.</summary>
public sealed record LinkFrameInfo(DateTimeOffset At, bool FromValidator, byte Address, string Type, byte LinkSeq, byte AckLinkSeq, string Summary);
