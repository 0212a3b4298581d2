using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Readers;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>read --reader KIND [--emulate tech:uid] [--registry FILE]</c>: one card through a reader,
/// printed as one JSON line <c>{"tech","uid","tok"}</c>, or <c>{"error"}</c> with exit 2. With
/// <c>--emulate</c> the real Iot.Device.Bindings driver runs against the emulated chip with that
/// card in its field; without it, the reader wired to this machine is used.
/// </summary>
internal static class ReadCommands
{
    public static void AddTo(RootCommand root)
    {
        var reader = new Option<string>("--reader") { Description = $"reader kind: {string.Join(", ", ReaderKinds.All)}", Required = true };
        var emulate = new Option<string?>("--emulate") { Description = "emulate the chip with this card in the field: tech:uid (iso14443a:04A1B2C3D4E5F6, felica:0101120012345678, jpki:<certificate serial hex>)" };
        var registry = new Option<string?>("--registry") { Description = "registry file: also print the card token (its regionKey)" };
        var timeout = new Option<double>("--timeout") { Description = "seconds to wait for a card", DefaultValueFactory = _ => 5 };
        var spiBus = new Option<int>("--spi-bus") { Description = "SPI bus number (/dev/spidevB.x)", DefaultValueFactory = _ => 0 };
        var spiCs = new Option<int>("--spi-cs") { Description = "SPI chip select line for the MFRC522 (CE0=0, CE1=1)", DefaultValueFactory = _ => 0 };
        var csGpio = new Option<int>("--cs-gpio") { Description = "PN532 on SPI: GPIO (BCM) driven as chip select", DefaultValueFactory = _ => 8 };
        var i2cBus = new Option<int>("--i2c-bus") { Description = "I2C bus number (/dev/i2c-N)", DefaultValueFactory = _ => 1 };
        var i2cAddress = new Option<string?>("--i2c-address") { Description = "I2C address, e.g. 0x28 (MFRC522) or 0x24 (PN532, the default for it)" };
        var port = new Option<string>("--port") { Description = "serial device for mfrc522-uart and pn532-hsu", DefaultValueFactory = _ => "/dev/serial0" };
        var resetPin = new Option<int>("--reset-pin") { Description = "reset pin (BCM) when wired, -1 when not", DefaultValueFactory = _ => -1 };

        var read = new Command("read", "read one card through a reader (real or emulated) and print it as JSON")
        {
            reader, emulate, registry, timeout, spiBus, spiCs, csGpio, i2cBus, i2cAddress, port, resetPin,
        };
        read.SetAction(async (parse, cancel) =>
        {
            string kindText = parse.GetValue(reader)!;
            if (!ReaderKinds.TryParse(kindText, out ReaderKind kind))
            {
                return Error($"--reader: unknown reader kind '{kindText}' (expected {string.Join(", ", ReaderKinds.All)})");
            }

            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0 && seconds <= 3600))
            {
                return Error("--timeout: expected seconds between 0 and 3600");
            }

            byte[]? regionKey = null;
            if (parse.GetValue(registry) is { } registryPath && !TryRegionKey(registryPath, out regionKey, out string? keyError))
            {
                return Error(keyError!);
            }

            if (parse.GetValue(emulate) is { } spec)
            {
                if (!TryParseCardSpec(spec, out CardTech tech, out byte[] uid, out string? specError))
                {
                    return Error($"--emulate: {specError}");
                }

                if (kind.CheckSupports(tech) is { } unsupported)
                {
                    return Error(unsupported);
                }

                using EmulatedReaderRig rig = EmulatedReaderRig.Create(kind.ToWire());
                rig.Field.Place(MakeCard(tech, uid));
                using CardReader emulated = rig.OpenReader();
                return await ReadOne(emulated, TimeSpan.FromSeconds(seconds), regionKey, cancel);
            }

            int? address = null;
            if (parse.GetValue(i2cAddress) is { } addressText)
            {
                if (!TryParseAddress(addressText, out int parsed))
                {
                    return Error($"--i2c-address: '{addressText}' is not an I2C address (0x03..0x77)");
                }

                address = parsed;
            }

            var options = new HardwareReaderOptions
            {
                Kind = kind,
                SpiBus = parse.GetValue(spiBus),
                SpiChipSelect = parse.GetValue(spiCs),
                Pn532ChipSelectGpio = parse.GetValue(csGpio),
                I2cBus = parse.GetValue(i2cBus),
                I2cAddress = address,
                SerialPort = parse.GetValue(port)!,
                ResetPin = parse.GetValue(resetPin),
            };
            try
            {
                using CardReader hardware = HardwareReaders.Open(options);
                return await ReadOne(hardware, TimeSpan.FromSeconds(seconds), regionKey, cancel);
            }
            catch (ReaderIOException e)
            {
                return Error(e.Message);
            }
        });
        root.Subcommands.Add(read);
    }

    private static async Task<int> ReadOne(CardReader reader, TimeSpan timeout, byte[]? regionKey, CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        string? lastNotice = null;
        try
        {
            await foreach (ReaderEvent happened in reader.ReadEventsAsync(deadline.Token))
            {
                if (happened is { Kind: ReaderEventKind.Tap, Card: { } card })
                {
                    Console.Out.WriteLine(CardJson(card, regionKey));
                    return ExitCodes.Ok;
                }

                lastNotice = happened.Message;
            }
        }
        catch (OperationCanceledException)
        {
            // The deadline passed.
        }

        ReaderHealth health = reader.Health;
        string why = health.Working
            ? $"no card read within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" + (lastNotice is null ? string.Empty : $" ({lastNotice})")
            : $"the {health.Kind} reader does not work: {health.LastError}";
        return Error(why);
    }

    private static string CardJson(CardRead card, byte[]? regionKey)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("tech", card.Tech.ToWire());
            json.WriteString("uid", card.UidHex);
            if (regionKey is not null)
            {
                json.WriteString("tok", CardToken.Compute(regionKey, card.Tech, card.Uid));
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static int Error(string message)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("error", message);
            json.WriteEndObject();
        }

        Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        return ExitCodes.Usage;
    }

    internal static bool TryParseCardSpec(string spec, out CardTech tech, out byte[] uid, out string? error)
    {
        uid = [];
        tech = default;
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = $"expected tech:uid, e.g. iso14443a:04A1B2C3D4E5F6 (got '{spec}')";
            return false;
        }

        string techText = spec[..colon];
        if (!CardTechs.TryParse(techText, out tech))
        {
            error = $"unknown card tech '{techText}' (expected {string.Join(", ", CardTechs.All)})";
            return false;
        }

        if (!Hex.TryParse(spec[(colon + 1)..], out uid))
        {
            error = "the uid is not an even number of hex digits";
            return false;
        }

        error = CardTechs.CheckUidLength(tech, uid.Length);
        if (error is null && tech == CardTech.Jpki && uid.Length > 1 && ((uid[0] == 0x00 && uid[1] < 0x80) || (uid[0] == 0xFF && uid[1] >= 0x80)))
        {
            error = "a certificate serial has no redundant leading 00 or FF byte (write it as X509Certificate2.SerialNumber does)";
        }

        return error is null;
    }

    /// <summary>A virtual card for the spec: 4-byte UIDs as MIFARE Classic 1K, 7-byte as NTAG213, 10-byte as a plain Type A card.</summary>
    private static VirtualCard MakeCard(CardTech tech, byte[] uid) => tech switch
    {
        CardTech.Iso14443A => uid.Length switch
        {
            4 => new MifareClassic1KCard(uid),
            7 => new UltralightTag(uid, UltralightVariant.Ntag213),
            _ => new TypeACard(uid),
        },
        CardTech.Felica => new FelicaCard(uid),
        _ => new MyNumberCard(MyNumberCard.CreateUserAuthenticationCertificate(uid)),
    };

    private static bool TryParseAddress(string text, out int address)
    {
        string digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out address)
            : int.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out address);
        return ok && address is >= 0x03 and <= 0x77;
    }

    private static bool TryRegionKey(string path, out byte[]? key, out string? error)
    {
        key = null;
        try
        {
            using FileStream stream = File.OpenRead(path);
            RegistryDocument doc = RegistryLoader.Parse(stream, path);
            if (!Hex.TryParse(doc.Keys?.RegionKey, out byte[] parsed) || parsed.Length == 0)
            {
                error = $"{path}: keys.regionKey: {(string.IsNullOrEmpty(doc.Keys?.RegionKey) ? "missing" : "bad hex")}";
                return false;
            }

            key = parsed;
            error = null;
            return true;
        }
        catch (RegistryException e)
        {
            error = e.Message;
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: cannot read the file: {e.Message}";
            return false;
        }
    }
}
