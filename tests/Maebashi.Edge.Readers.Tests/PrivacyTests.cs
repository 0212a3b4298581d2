using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>A reader logs what a technician needs and never a uid, a certificate field or a name.</summary>
[Trait("Category", "Readers")]
public sealed class PrivacyTests
{
    [Fact]
    public void Reading_a_my_number_card_keeps_only_the_serial_and_logs_no_card_data()
    {
        using var rig = EmulatedReaderRig.Create("pn532-i2c");
        var time = new FakeTimeProvider();
        var logger = new CapturingLogger();
        ReaderKind kind = ReaderKinds.Parse(rig.Kind);
        using var reader = new CardReader(kind, Rigs.Bus(rig), null, time, logger);
        byte[] certificate = MyNumberCard.CreateUserAuthenticationCertificate([0x5A, 0x5B, 0x5C], "高崎 花子", "群馬県高崎市高松町35-1");
        rig.Field.Place(new MyNumberCard(certificate));
        rig.Field.Place(new TypeACard([0x04, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44]));
        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        rig.Field.Clear();
        rig.Field.Place(new MyNumberCard(certificate));
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)));

        CardRead tap = Assert.Single(events.Taps());
        Assert.Equal("5A5B5C", tap.UidHex);
        Assert.Equal("jpki card", tap.ToString());
        Assert.NotEmpty(logger.Lines);
        foreach (string line in logger.Lines.Concat(events.Select(e => e.ToString())))
        {
            foreach (string secret in new[] { "5A5B5C", "5A-5B-5C", "高崎", "花子", "高松町", "04998877665544" })
            {
                Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
            }
        }
    }

    private sealed class CapturingLogger : ILogger<CardReader>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    Lines.AddRange(values.Select(v => $"{v.Key}={v.Value}"));
                }
            }
        }
    }
}
