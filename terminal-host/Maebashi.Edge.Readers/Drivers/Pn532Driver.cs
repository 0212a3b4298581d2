using System.Device.Gpio;
using Iot.Device.Pn532;
using Iot.Device.Pn532.ListPassive;
using Iot.Device.Pn532.RfConfiguration;
using Iot.Device.Rfid;
using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// The PN532 through Iot.Device.Bindings' <see cref="Pn532"/>: Type A, FeliCa (polling at 212
/// then 424 kbps) and Type B (the My Number card, read over ISO 14443-4). Each scan lists up to
/// two targets per tech, so two cards in the field are seen as such.
/// </summary>
internal sealed class Pn532Driver : IReaderDriver
{
    /// <summary>FeliCa polling request: wildcard system code FFFF, no request code, one time slot.</summary>
    private static readonly byte[] FelicaPolling = [0x00, 0xFF, 0xFF, 0x00, 0x00];

    /// <summary>Type B: AFI 0 (all application families).</summary>
    private static readonly byte[] TypeBAllFamilies = [0x00];

    private readonly Pn532 _pn;
    private readonly bool _serial;

    public Pn532Driver(ReaderBus bus)
    {
        _serial = bus.Type == ReaderBusType.Serial;
        if (bus.HasResetPin)
        {
            PulseReset(bus.Gpio!, bus.ResetPin);
        }

        try
        {
            _pn = bus.Type switch
            {
                ReaderBusType.Spi => OpenSpi(bus),
                ReaderBusType.I2c => new Pn532(new Pn532ExtendedFrames.I2c(bus.OpenI2c!())),
                _ => new Pn532(bus.PortName!),
            };
        }
        catch (Exception e) when (e is not ReaderIOException)
        {
            // The binding throws a bare Exception("Can't find a PN532") when GetFirmwareVersion fails.
            throw new ReaderIOException($"PN532 on {bus.Type} could not be opened: {e.Message}", e);
        }

        try
        {
            // Bounded waits: a missing answer costs at most this long, so a dead chip is found in time.
            _pn.ReadTimeOut = 200;
            // One passive activation attempt per listing instead of the chip's default of retrying forever.
            if (!Guard(() => _pn.SetMaxRetriesInitialization(new MaxRetriesMode { MaxRetryPassiveActivation = 0x01 })))
            {
                throw new ReaderIOException("PN532 refused RFConfiguration (MaxRetries)");
            }

            if (_pn.FirmwareVersion is { } version && version.IdentificationCode != 0x32)
            {
                ChipWarning = $"PN5xx identifies as IC 0x{version.IdentificationCode:X2}, not a PN532 (0x32)";
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
        List<Detection> found = [];
        if (List(TargetBaudRate.B106kbpsTypeA, []) is { } a)
        {
            if (a[0] > 1)
            {
                return ScanResult.Several;
            }

            if (_pn.TryDecode106kbpsTypeA(a.AsSpan(1)) is { } card)
            {
                // SAK bit 6: the card speaks ISO/IEC 14443-4 (the PN532 has already sent RATS).
                found.Add(new Detection(CardTech.Iso14443A, card.NfcId, card.TargetNumber, IsoDep: (card.Sak & 0x20) != 0));
            }
        }

        foreach (TargetBaudRate rate in (ReadOnlySpan<TargetBaudRate>)[TargetBaudRate.B212kbps, TargetBaudRate.B424kbps])
        {
            if (List(rate, FelicaPolling) is { } f)
            {
                if (f[0] > 1)
                {
                    return ScanResult.Several;
                }

                if (_pn.TryDecodeData212_424Kbps(f.AsSpan(1)) is { } felica)
                {
                    found.Add(new Detection(CardTech.Felica, felica.NfcId, felica.TargetNumber));
                    break;
                }
            }
        }

        if (List(TargetBaudRate.B106kbpsTypeB, TypeBAllFamilies) is { } b)
        {
            if (b[0] > 1)
            {
                return ScanResult.Several;
            }

            if (_pn.TryDecodeData106kbpsTypeB(b.AsSpan(1)) is { } typeB)
            {
                found.Add(new Detection(CardTech.Jpki, typeB.NfcId, typeB.TargetNumber));
            }
        }

        return found.Count switch
        {
            0 => ScanResult.None,
            1 => ScanResult.One(found[0]),
            _ => ScanResult.Several,
        };
    });

    public CardRead Read(Detection card)
    {
        if (card.Tech == CardTech.Iso14443A && SunReading.Applies(card))
        {
            SunMessage? sun = Guard(() =>
            {
                // The scan went on to list FeliCa and Type B, which released the Type A target: list this card again by
                // its UID (the PN532 activates it with RATS as it lists it).
                // A card gone by now, or silent during the read, is a failed read (tap again), as on the MFRC522: a
                // city card recorded without its message would read at the ingest as a copy of its UID.
                byte[]? again = _pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeA, card.Id);
                if (again is not { Length: > 1 } || again[0] != 1 || _pn.TryDecode106kbpsTypeA(again.AsSpan(1)) is not { } target)
                {
                    throw new CardIOException("the card left before its SUN message was read");
                }

                var transport = new BindingApduTransport(_pn, target.TargetNumber);
                SunMessage? read = SunReading.TryRead(transport);
                if (read is null && transport.Unanswered)
                {
                    throw new CardIOException("the card stopped answering during the SUN read");
                }

                return read;
            });
            return new CardRead(card.Tech, card.Id) { Sun = sun };
        }

        if (card.Tech != CardTech.Jpki)
        {
            return new CardRead(card.Tech, card.Id);
        }

        try
        {
            byte[] serial = JpkiCertificateReader.ReadUserAuthenticationSerial(_pn, card.TargetNumber);
            return new CardRead(CardTech.Jpki, serial);
        }
        catch (Exception e) when (e is not ReaderIOException and not CardIOException)
        {
            throw new ReaderIOException($"PN532 failed during InDataExchange: {e.GetType().Name}: {e.Message}", e);
        }
        finally
        {
            Guard(() => _pn.ReleaseTarget(card.TargetNumber));
        }
    }

    public T Transact<T>(Detection card, Func<Iot.Device.Card.CardTransceiver, byte, T> apdus)
    {
        if (card.Tech != CardTech.Jpki)
        {
            throw new CardIOException($"the PN532 exchanges APDUs after the tap with My Number cards only, not {card.Tech.ToWire()}", rejected: true);
        }

        if (_serial)
        {
            // The binding drops extended frames on its own serial port (see Pn532ExtendedFrames), and a signature
            // needs one: say so before the patient types a PIN for nothing.
            throw new CardIOException("the PN532 on a serial line (HSU) cannot carry a My Number card's signature with this binding; wire it on I²C or SPI", rejected: true);
        }

        // The tap's read released the card; list it again (REQB, ATTRIB): a new activation, with nothing verified yet.
        byte target = Guard(() => _pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeB, TypeBAllFamilies) is { Length: > 1 } listed
            && listed[0] == 1 && _pn.TryDecodeData106kbpsTypeB(listed.AsSpan(1)) is { } typeB
                ? typeB.TargetNumber
                : (byte)0);
        if (target == 0)
        {
            throw new CardIOException("the card has left the reader");
        }

        try
        {
            return apdus(_pn, target);
        }
        catch (Exception e) when (e is not ReaderIOException and not CardIOException and not JpkiPinRefusedException and not ArgumentException)
        {
            throw new ReaderIOException($"PN532 failed during InDataExchange: {e.GetType().Name}: {e.Message}", e);
        }
        finally
        {
            Guard(() => _pn.ReleaseTarget(target));
        }
    }

    public Presence CheckPresence(CardRead card, Detection detection) => Guard(() =>
    {
        (TargetBaudRate rate, byte[] initiator) = card.Tech switch
        {
            CardTech.Iso14443A => (TargetBaudRate.B106kbpsTypeA, Array.Empty<byte>()),
            CardTech.Felica => (TargetBaudRate.B212kbps, FelicaPolling),
            _ => (TargetBaudRate.B106kbpsTypeB, TypeBAllFamilies),
        };
        byte[]? listed = List(rate, initiator);
        if (listed is null && card.Tech == CardTech.Felica)
        {
            listed = List(TargetBaudRate.B424kbps, initiator);
        }

        if (listed is null)
        {
            return Presence.Absent;
        }

        if (listed[0] > 1)
        {
            return Presence.Crowded;
        }

        // A My Number card is known by its certificate, not its PUPI (which such cards may
        // randomise): any one Type B card still there is the held card.
        byte[]? id = card.Tech switch
        {
            CardTech.Iso14443A => _pn.TryDecode106kbpsTypeA(listed.AsSpan(1))?.NfcId,
            CardTech.Felica => _pn.TryDecodeData212_424Kbps(listed.AsSpan(1))?.NfcId,
            _ => detection.Id,
        };
        return id is not null && id.AsSpan().SequenceEqual(card.Tech == CardTech.Jpki ? detection.Id : card.Uid) ? Presence.Present : Presence.Absent;
    });

    public void Probe()
    {
        // The communication line test echoes its bytes: only a chip that answers passes.
        if (!Guard(() => _pn.RunSelfTest(DiagnoseMode.CommunicationLineTest)))
        {
            throw new ReaderIOException("PN532 does not answer: communication line test failed");
        }
    }

    public void SoftReset()
    {
        // The PN532 has no soft reset command; re-creating the driver wakes it and reconfigures it.
    }

    public void Dispose() => SafeDispose();

    private byte[]? List(TargetBaudRate rate, byte[] initiator) => _pn.ListPassiveTarget(MaxTarget.Two, rate, initiator);

    private static Pn532 OpenSpi(ReaderBus bus)
    {
        if (bus.Gpio is null || bus.ChipSelectPin < 0)
        {
            throw new ReaderIOException("PN532 on SPI needs a GPIO controller and its chip-select pin (the binding drives chip select itself)");
        }

        if (bus.Gpio.IsPinOpen(bus.ChipSelectPin))
        {
            bus.Gpio.ClosePin(bus.ChipSelectPin);
        }

        return new Pn532(new Pn532ExtendedFrames.Spi(bus.OpenSpi!()), bus.ChipSelectPin, bus.Gpio, shouldDispose: false);
    }

    /// <summary>RSTPDN low for at least 100 ns, then high: the PN532 restarts.</summary>
    private static void PulseReset(GpioController gpio, int pin)
    {
        try
        {
            if (!gpio.IsPinOpen(pin))
            {
                gpio.OpenPin(pin, PinMode.Output);
            }

            gpio.Write(pin, PinValue.Low);
            // The pulse is a hold time the chip needs, not a wait for an event.
            Thread.Sleep(1);
            gpio.Write(pin, PinValue.High);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw new ReaderIOException($"PN532 reset pin {pin} could not be driven: {e.Message}", e);
        }
    }

    private static T Guard<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is not ReaderIOException and not CardIOException)
        {
            throw new ReaderIOException($"PN532 failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private void SafeDispose()
    {
        try
        {
            _pn.Dispose();
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException or ObjectDisposedException or UnauthorizedAccessException)
        {
            // A reader that stopped answering may fail to close; nothing to keep.
        }
    }
}
