using System.IO.Ports;
using Iot.Device.Mfrc522;
using Iot.Device.Rfid;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Firmware.IsoDep;
using Maebashi.Edge.Firmware.Mfrc522;
using FrameDriver = Maebashi.Edge.Firmware.Mfrc522.Mfrc522Driver;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// The MFRC522 through Iot.Device.Bindings' <see cref="MfRc522"/>: Type A only. A scan is the
/// binding's REQA + select (<see cref="MfRc522.ListenToCardIso14443TypeA"/>); when that finds
/// nothing but a card answers a wake-up (WUPA), the field holds a halted card or several cards,
/// which the binding does not tell apart, so the cascade is run here through the binding's
/// <see cref="MfRc522.SendAndReceiveData"/> to see the collision or the UID.
/// A 7-byte ISO/IEC 14443-4 card is read for its SUN message (NTAG 424 DNA city cards) as the PN532 path does, but the
/// binding's transceive needs the answer's length in advance, so the frames go through the firmware core's register-level
/// driver (<see cref="FrameDriver"/>, the validator's own) on the same bus device, and its block protocol
/// (<see cref="IsoDepSession"/>): one implementation for the Pi and the validator.
/// </summary>
internal sealed class Mfrc522Driver : IReaderDriver
{
    private const byte WakeUpA = 0x52;

    /// <summary>SAK bit 6 (ISO/IEC 14443-3 6.5.3.4): the card speaks ISO/IEC 14443-4.</summary>
    private const byte SakIsoDep = 0x20;

    /// <summary>The binding's own serial speed (its <c>MfRc522(string)</c> constructor opens the port at 9600 8N1).</summary>
    private const int SerialBaud = 9600;

    private readonly MfRc522 _mfrc;
    private readonly IRegisterBus _registers;
    private readonly FrameDriver _frames;
    private readonly IsoDepSession _isoDep;

    public Mfrc522Driver(ReaderBus bus)
    {
        int resetPin = bus.HasResetPin ? bus.ResetPin : -1;
        try
        {
            if (resetPin >= 0 && bus.Gpio!.IsPinOpen(resetPin))
            {
                bus.Gpio.ClosePin(resetPin);
            }

            // With a reset pin the binding's constructor pulses it: a hard reset on every (re-)initialisation.
            (_mfrc, _registers) = Open(bus, resetPin);
        }
        catch (Exception e) when (e is not ReaderIOException)
        {
            throw new ReaderIOException($"MFRC522 on {bus.Type} could not be opened: {e.Message}", e);
        }

        _frames = new FrameDriver(_registers, AntennaGain.Db48);
        _isoDep = new IsoDepSession(_frames);
        try
        {
            Probe();
            if (Guard(() => _mfrc.Version) == new Version(0, 0))
            {
                // The chip answers (the probe passed) but VersionReg is not 0x91/0x92: a clone
                // (0x12, 0x88, 0x00 seen in the field). It is used, and the health says so.
                ChipWarning = "MFRC522 VersionReg is not 0x91/0x92: clone or counterfeit chip / 非純正チップ";
            }
        }
        catch
        {
            SafeDispose();
            throw;
        }
    }

    public string? ChipWarning { get; }

    public ScanResult Scan() => Guard(() =>
    {
        if (_mfrc.ListenToCardIso14443TypeA(out Data106kbpsTypeA card, TimeSpan.Zero))
        {
            return ScanResult.One(new Detection(CardTech.Iso14443A, card.NfcId, 0, IsoDep: (card.Sak & SakIsoDep) != 0));
        }

        return WakeAndResolve() switch
        {
            (ScanOutcome.OneCard, { } uid, byte sak) => ScanResult.One(new Detection(CardTech.Iso14443A, uid, 0, IsoDep: (sak & SakIsoDep) != 0)),
            (ScanOutcome.SeveralCards, _, _) => ScanResult.Several,
            _ => ScanResult.None,
        };
    });

    /// <summary>The scan left the card selected (ACTIVE): an ISO-DEP city card goes on to RATS at once.</summary>
    public CardRead Read(Detection card) =>
        new(CardTech.Iso14443A, card.Id) { Sun = SunReading.Applies(card) ? Guard(ReadSun) : null };

    public Presence CheckPresence(CardRead card, Detection detection) => Guard(() =>
    {
        return WakeAndResolve() switch
        {
            (ScanOutcome.OneCard, { } uid, _) => uid.AsSpan().SequenceEqual(card.Uid) ? Presence.Present : Presence.Absent,
            (ScanOutcome.SeveralCards, _, _) => Presence.Crowded,
            _ => Presence.Absent,
        };
    });

    public void Probe()
    {
        // A register written and read back twice with opposite-looking values: a chip that no
        // longer answers reads a stuck bus (all 0x00 or all 0xFF) and fails one of the two.
        Guard(() =>
        {
            foreach (Gain gain in (ReadOnlySpan<Gain>)[Gain.G33dB, Gain.G48dB])
            {
                _mfrc.Gain = gain;
                if (_mfrc.Gain != gain)
                {
                    throw new ReaderIOException("MFRC522 does not answer: a register written does not read back");
                }
            }

            return true;
        });
    }

    public void SoftReset() => Guard(() =>
    {
        _mfrc.SoftReset();
        return true;
    });

    public void Dispose() => SafeDispose();

    /// <summary>
    /// RATS, the SUN message, S(DESELECT). The binding leaves the chip's timer free-running (no TAuto) and times out by
    /// the clock; the frame driver needs the timer as its receive timeout, so the timer registers are set for the read
    /// and given back to the binding afterwards. A card without the message (any other ISO-DEP card, a copy that answers
    /// RATS) reads as no message; a card lost during the read is a failed read (tap again), not a read without one.
    /// </summary>
    private SunMessage? ReadSun()
    {
        byte tMode = _registers.Read(Register.TMode);
        byte prescaler = _registers.Read(Register.TPrescaler);
        byte reloadHigh = _registers.Read(Register.TReloadH);
        byte reloadLow = _registers.Read(Register.TReloadL);
        try
        {
            _frames.UseConfiguredChip();
            if (!_isoDep.Activate())
            {
                return null;
            }

            SunMessage? sun = SunReading.TryRead(_isoDep);
            if (sun is null && !_isoDep.Active)
            {
                throw new CardIOException("the card stopped answering during the SUN read");
            }

            _isoDep.Deselect();
            return sun;
        }
        finally
        {
            _registers.Write(Register.TMode, tMode);
            _registers.Write(Register.TPrescaler, prescaler);
            _registers.Write(Register.TReloadH, reloadHigh);
            _registers.Write(Register.TReloadL, reloadLow);
        }
    }

    /// <summary>The binding and the frame driver on one bus device (the same SPI or I²C device, the same serial port).</summary>
    private static (MfRc522 Binding, IRegisterBus Registers) Open(ReaderBus bus, int resetPin)
    {
        switch (bus.Type)
        {
            case ReaderBusType.Spi:
                var spi = bus.OpenSpi!();
                return (new MfRc522(spi, resetPin, bus.Gpio, shouldDispose: false), new SpiRegisterBus(spi));
            case ReaderBusType.I2c:
                var i2c = bus.OpenI2c!();
                return (new MfRc522(i2c, resetPin, bus.Gpio, shouldDispose: false), new I2cRegisterBus(i2c));
            default:
                var port = new SerialPort(bus.PortName!, SerialBaud, Parity.None, 8, StopBits.One);
                return (new MfRc522(port, resetPin, bus.Gpio, shouldDispose: false), new SerialRegisterBus(port));
        }
    }

    /// <summary>
    /// HLTA, WUPA, then anticollision and select through cascade levels, with the binding's
    /// transceive. HLTA first puts an active card to sleep and a ready one back to idle
    /// (ISO 14443-3), so every card present answers the WUPA whatever state it was left in.
    /// </summary>
    private (ScanOutcome, byte[]?, byte Sak) WakeAndResolve()
    {
        _mfrc.Halt();
        byte[] atqa = new byte[2];
        if (!_mfrc.IsCardPresent(atqa, reselect: true))
        {
            return (ScanOutcome.NoCard, null, 0);
        }

        List<byte> uid = [];
        for (int level = 1; level <= 3; level++)
        {
            byte select = (byte)(0x93 + ((level - 1) * 2));
            byte[] part = new byte[5];
            Status status = _mfrc.SendAndReceiveData(MfrcCommand.Transceive, [select, 0x20], part);
            if (status == Status.Collision)
            {
                return (ScanOutcome.SeveralCards, null, 0);
            }

            if (status != Status.Ok || (byte)(part[0] ^ part[1] ^ part[2] ^ part[3]) != part[4])
            {
                // A garbled answer: nothing usable this time; the next poll asks again.
                return (ScanOutcome.NoCard, null, 0);
            }

            byte[] frame = [select, 0x70, part[0], part[1], part[2], part[3], part[4], 0, 0];
            (frame[7], frame[8]) = CrcA(frame.AsSpan(0, 7));
            byte[] sak = new byte[3];
            status = _mfrc.SendAndReceiveData(MfrcCommand.Transceive, frame, sak);
            if (status != Status.Ok || CrcA(sak.AsSpan(0, 1)) != (sak[1], sak[2]))
            {
                return (ScanOutcome.NoCard, null, 0);
            }

            if ((sak[0] & 0x04) != 0)
            {
                // Cascade tag 0x88 then three UID bytes; more follow at the next level.
                uid.AddRange(part.AsSpan(1, 3));
                continue;
            }

            uid.AddRange(part.AsSpan(0, 4));
            return (ScanOutcome.OneCard, [.. uid], sak[0]);
        }

        return (ScanOutcome.NoCard, null, 0);
    }

    /// <summary>CRC_A (ISO 14443-3 annex B), low byte first.</summary>
    internal static (byte Low, byte High) CrcA(ReadOnlySpan<byte> data)
    {
        uint crc = 0x6363;
        foreach (byte value in data)
        {
            byte b = (byte)(value ^ (byte)(crc & 0xFF));
            b ^= (byte)(b << 4);
            crc = ((crc >> 8) ^ ((uint)b << 8) ^ ((uint)b << 3) ^ ((uint)b >> 4)) & 0xFFFF;
        }

        return ((byte)(crc & 0xFF), (byte)(crc >> 8));
    }

    private T Guard<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is not ReaderIOException and not CardIOException)
        {
            throw new ReaderIOException($"MFRC522 failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private void SafeDispose()
    {
        try
        {
            _mfrc.Dispose();
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException or ObjectDisposedException or UnauthorizedAccessException)
        {
            // Disposing a reader that stopped answering fails on its last register writes; nothing to keep.
        }
    }
}
