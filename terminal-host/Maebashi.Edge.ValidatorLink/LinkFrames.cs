using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Firmware;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Storage;

namespace Maebashi.Edge.ValidatorLink;

/// <summary>A decoded frame (header fields plus the raw bytes without CRC).</summary>
public sealed class LinkFrame
{
    public LinkFrame(byte[] raw, int length)
    {
        Raw = raw.AsSpan(0, length).ToArray();
    }

    public byte[] Raw { get; }

    public byte Address => Raw[0];

    public MessageType Type => (MessageType)Raw[1];

    public FrameFlags Flags => (FrameFlags)Raw[2];

    public byte LinkSeq => Raw[3];

    public byte AckLinkSeq => Raw[4];

    public bool FromValidator => (Flags & FrameFlags.FromValidator) != 0;

    public int PayloadLength => Raw.Length - LinkProtocol.PayloadAt;
}

/// <summary>Builds and reads the link's frames on the host (the same layout as the firmware's link, firmware/Core/Link).</summary>
public static class LinkFrames
{
    public static byte[] Ping(byte address, byte linkSeq, byte ackLinkSeq) => Seal(Header(address, MessageType.Ping, linkSeq, ackLinkSeq, 0), 0);

    public static byte[] Ack(byte address, byte linkSeq, byte ackLinkSeq, uint upTo)
    {
        byte[] raw = Header(address, MessageType.Ack, linkSeq, ackLinkSeq, 4);
        Bytes.PutU32(raw, LinkProtocol.PayloadAt, upTo);
        return Seal(raw, 4);
    }

    public static byte[] Verdict(byte address, byte linkSeq, byte ackLinkSeq, uint seq, ValidatorVerdict verdict)
    {
        byte[] raw = Header(address, MessageType.Verdict, linkSeq, ackLinkSeq, 12);
        int p = LinkProtocol.PayloadAt;
        Bytes.PutU32(raw, p, seq);
        raw[p + 4] = (byte)(verdict.Accept ? TapDecision.Accept : TapDecision.Deny);
        raw[p + 5] = (byte)verdict.Reason;
        Bytes.PutU16(raw, p + 6, Math.Clamp(verdict.FareYen, 0, 65535));
        Bytes.PutU32(raw, p + 8, 0);
        return Seal(raw, 12);
    }

    public static byte[] Config(byte address, byte linkSeq, byte ackLinkSeq, long unixMs, int verdictTimeoutMs, int repeatWindowSeconds, byte? gain)
    {
        byte[] raw = Header(address, MessageType.Config, linkSeq, ackLinkSeq, 13);
        int p = LinkProtocol.PayloadAt;
        Bytes.PutI64(raw, p, unixMs);
        Bytes.PutU16(raw, p + 8, Math.Clamp(verdictTimeoutMs, 1, 65535));
        Bytes.PutU16(raw, p + 10, Math.Clamp(repeatWindowSeconds, 1, 65535));
        raw[p + 12] = gain ?? 0xFF;
        return Seal(raw, 13);
    }

    public static byte[] Provision(byte address, byte linkSeq, byte ackLinkSeq, ValidatorProvisioning p)
    {
        byte[] id = CheckProvisioning(p);
        byte[] raw = Header(address, MessageType.Provision, linkSeq, ackLinkSeq, 7 + id.Length);
        int at = LinkProtocol.PayloadAt;
        raw[at] = p.Door;
        raw[at + 1] = p.NewAddress;
        Bytes.PutU32(raw, at + 2, p.SeqFloor);
        raw[at + 6] = (byte)id.Length;
        id.CopyTo(raw, at + 7);
        return Seal(raw, 7 + id.Length);
    }

    /// <summary>Device id as ASCII bytes, or an error naming what is wrong.</summary>
    public static byte[] CheckProvisioning(ValidatorProvisioning p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (string.IsNullOrEmpty(p.DeviceId) || p.DeviceId.Length > LinkProtocol.MaxDeviceIdLength || p.DeviceId.Any(c => c < 0x21 || c > 0x7E))
        {
            throw new ArgumentException($"device id: 1–{LinkProtocol.MaxDeviceIdLength} printable ASCII characters without spaces");
        }

        if (p.NewAddress is < 1 or > 126)
        {
            throw new ArgumentException("link address: 1–126 (0 is broadcast, 127 is the unprovisioned address)");
        }

        if (p.Door is < 1 or > 9)
        {
            throw new ArgumentException("door: 1 (front) to 9");
        }

        return Encoding.ASCII.GetBytes(p.DeviceId);
    }

    public static ValidatorHello ReadHello(LinkFrame f)
    {
        byte[] r = f.Raw;
        int p = LinkProtocol.PayloadAt;
        if (f.PayloadLength < 12 || f.PayloadLength < 12 + r[p + 11])
        {
            throw new InvalidDataException("hello: too short");
        }

        var status = (ValidatorStatus)r[p + 10];
        return new ValidatorHello(
            f.Address,
            Encoding.ASCII.GetString(r, p + 12, r[p + 11]),
            r[p + 3],
            $"{r[p]}.{r[p + 1]}.{r[p + 2]}",
            Bytes.GetU32(r, p + 4),
            Bytes.GetU16(r, p + 8),
            (status & ValidatorStatus.Provisioned) != 0,
            (status & ValidatorStatus.ChipOk) != 0);
    }

    /// <summary>Reads a Tap frame; false when its fields are out of range (the frame is then ignored and resent).</summary>
    public static bool TryReadTap(LinkFrame f, string deviceId, out ValidatorTap tap)
    {
        tap = null!;
        byte[] r = f.Raw;
        int p = LinkProtocol.PayloadAt;
        if (f.PayloadLength < 19)
        {
            return false;
        }

        int uidLength = r[p + 18];
        if (uidLength is not (4 or 7 or 10) || f.PayloadLength < 19 + uidLength)
        {
            return false;
        }

        long unixMs = Bytes.GetI64(r, p + 4);
        if (unixMs < 0 || unixMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        var flags = (TapFlags)r[p + 14];
        ValidatorSun? sun = null;
        if ((flags & TapFlags.Sun) != 0)
        {
            // Firmware 1.1: e and c follow the UID; a frame announcing them without them is damaged.
            int at = p + 19 + uidLength;
            if (f.PayloadLength < 19 + uidLength + TapRecord.SunEncryptedLength + TapRecord.SunMacLength)
            {
                return false;
            }

            sun = new ValidatorSun(r.AsSpan(at, TapRecord.SunEncryptedLength).ToArray(), r.AsSpan(at + TapRecord.SunEncryptedLength, TapRecord.SunMacLength).ToArray());
        }

        tap = new ValidatorTap(
            deviceId,
            f.Address,
            r[p + 12],
            Bytes.GetU32(r, p),
            DateTimeOffset.FromUnixTimeMilliseconds(unixMs),
            CardTech.Iso14443A,
            r.AsSpan(p + 19, uidLength).ToArray(),
            (TapDecision)r[p + 13] != TapDecision.Deny,
            (flags & TapFlags.Offline) != 0,
            (flags & TapFlags.ClockUnsynced) == 0,
            (TapReason)r[p + 15],
            Bytes.GetU16(r, p + 16))
        {
            Sun = sun,
        };
        return true;
    }

    /// <summary>One line for the monitor; never prints UID bytes.</summary>
    public static string Describe(LinkFrame f)
    {
        byte[] r = f.Raw;
        int p = LinkProtocol.PayloadAt;
        try
        {
            return (f.Type, f.FromValidator) switch
            {
                (MessageType.Hello, true) => DescribeHello(ReadHello(f)),
                (MessageType.Tap, true) when TryReadTap(f, "", out ValidatorTap t) =>
                    $"seq={t.Seq} {((f.Flags & FrameFlags.Ask) != 0 ? "ask" : t.Accepted ? "accept" : "deny")}{(t.Offline ? " offline" : "")} door={t.DoorName} uid=({t.Uid.Length} bytes){(t.Sun is null ? "" : " sun")} at={t.At:O}{((f.Flags & FrameFlags.More) != 0 ? " more" : "")}",
                (MessageType.Ping, true) when f.PayloadLength >= 3 => $"backlog={Bytes.GetU16(r, p)} status={(ValidatorStatus)r[p + 2]}",
                (MessageType.Verdict, false) when f.PayloadLength >= 8 => $"seq={Bytes.GetU32(r, p)} {(TapDecision)r[p + 4]} reason={(TapReason)r[p + 5]} fare={Bytes.GetU16(r, p + 6)}",
                (MessageType.Ack, false) when f.PayloadLength >= 4 => $"upTo={Bytes.GetU32(r, p)}",
                (MessageType.Config, false) when f.PayloadLength >= 13 => $"clock={DateTimeOffset.FromUnixTimeMilliseconds(Bytes.GetI64(r, p)):O} verdictTimeout={Bytes.GetU16(r, p + 8)}ms repeatWindow={Bytes.GetU16(r, p + 10)}s",
                (MessageType.Provision, false) when f.PayloadLength >= 7 => $"door={r[p]} newAddress={r[p + 1]} seqFloor={Bytes.GetU32(r, p + 2)} id={Encoding.ASCII.GetString(r, p + 7, Math.Min(r[p + 6], f.PayloadLength - 7))}",
                (MessageType.Ping, false) => "poll",
                _ => $"{f.PayloadLength} payload bytes",
            };
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    public static LinkFrameInfo Info(LinkFrame f, DateTimeOffset at) =>
        new(at, f.FromValidator, f.Address, f.Type.ToString(), f.LinkSeq, f.AckLinkSeq, Describe(f));

    private static string DescribeHello(ValidatorHello h) =>
        $"id={h.DeviceId} door={Doors.Name(h.Door)} fw={h.Firmware} lastSeq={h.LastSeq} backlog={h.Backlog} provisioned={h.Provisioned} chip={(h.ChipOk ? "ok" : "FAULT")}";

    private static byte[] Header(byte address, MessageType type, byte linkSeq, byte ackLinkSeq, int payload)
    {
        byte[] raw = new byte[LinkProtocol.HeaderLength + payload + LinkProtocol.CrcLength];
        LinkProtocol.PutHeader(raw, address, type, FrameFlags.None, linkSeq, ackLinkSeq);
        return raw;
    }

    private static byte[] Seal(byte[] raw, int payload)
    {
        byte[] wire = new byte[LinkProtocol.MaxEncoded + 8];
        int n = LinkProtocol.Seal(raw, LinkProtocol.HeaderLength + payload, wire);
        return wire.AsSpan(0, n).ToArray();
    }
}
