using System.Threading.Channels;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Firmware.Link;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.ValidatorLink;

/// <summary>
/// The host as RS-485 master: polls each validator in turn with exactly one frame and waits for its one answer before
/// the line is given to anyone else, so validators never collide. Taps that ask for a verdict are decided by the
/// <see cref="IValidatorTapHandler"/> and answered at once; recorded taps (live or a backlog after a reconnection, oldest
/// first) are stored through the handler and acknowledged only after that. A frame without a good answer is resent.
/// </summary>
public sealed partial class ValidatorLinkMaster
{
    private readonly Stream _line;
    private readonly ValidatorLinkOptions _options;
    private readonly IValidatorTapHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<LinkFrame> _received = Channel.CreateUnbounded<LinkFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Lock _gate = new();
    private readonly List<Peer> _peers = [];
    private long _framesRejected;

    public ValidatorLinkMaster(Stream line, ValidatorLinkOptions options, IValidatorTapHandler handler, TimeProvider? time = null, ILogger<ValidatorLinkMaster>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        _line = line;
        _options = options;
        _handler = handler;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        foreach (byte address in options.Addresses.Distinct())
        {
            _peers.Add(new Peer(address));
        }
    }

    /// <summary>Every frame sent or received with a good CRC (for <c>validator monitor</c>).</summary>
    public event Action<LinkFrameInfo>? FrameSeen;

    /// <summary>Answers dropped for a bad CRC or framing (each is resent).</summary>
    public long FramesRejected => Interlocked.Read(ref _framesRejected);

    public IReadOnlyList<ValidatorState> Validators
    {
        get
        {
            lock (_gate)
            {
                return [.. _peers.Select(p => p.Snapshot())];
            }
        }
    }

    /// <summary>Polls until cancelled. Returns when the line's stream ends.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task reader = ReadLineAsync(stop.Token);
        try
        {
            while (!stop.IsCancellationRequested && !reader.IsCompleted)
            {
                Peer[] peers;
                lock (_gate)
                {
                    peers = [.. _peers];
                }

                foreach (Peer peer in peers)
                {
                    if (!peer.Online && !peer.HasUrgent && _time.GetUtcNow() < peer.NextOfflinePoll)
                    {
                        continue;
                    }

                    try
                    {
                        await TurnAsync(peer, stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // One validator's bad turn must not stop the line for the others.
                        LogTurnFailed(_logger, e, peer.Address);
                    }
                }

                await Task.Delay(_options.RoundGap, _time, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await reader.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Provisions the validator answering at <paramref name="address"/> (0 = broadcast: one validator on the line only)
    /// and returns its Hello with the new identity. The master must be running.</summary>
    public async Task<ValidatorHello> ProvisionAsync(byte address, ValidatorProvisioning provisioning, CancellationToken cancellationToken)
    {
        LinkFrames.CheckProvisioning(provisioning);
        Peer peer;
        lock (_gate)
        {
            peer = _peers.FirstOrDefault(p => p.Address == address) ?? AddPeer(address);
            peer.Provisioning = provisioning;
            peer.ProvisionDone = new TaskCompletionSource<ValidatorHello>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return await peer.ProvisionDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts polling another address (e.g. a validator added to the line).</summary>
    public void AddAddress(byte address)
    {
        lock (_gate)
        {
            if (_peers.All(p => p.Address != address))
            {
                AddPeer(address);
            }
        }
    }

    private Peer AddPeer(byte address)
    {
        var peer = new Peer(address);
        _peers.Add(peer);
        return peer;
    }

    /// <summary>One validator's turn: up to <see cref="ValidatorLinkOptions.BurstLimit"/> exchanges while it has more.</summary>
    private async Task TurnAsync(Peer peer, CancellationToken cancellationToken)
    {
        for (int burst = 0; burst < _options.BurstLimit; burst++)
        {
            Outgoing next = NextFrame(peer);
            LinkFrame? answer = await ExchangeAsync(peer, next.Wire, cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                if (peer.Online)
                {
                    LogOffline(_logger, peer.Address, peer.DeviceId);
                }

                peer.Online = false;
                peer.NextOfflinePoll = _time.GetUtcNow() + _options.OfflinePollInterval;
                return;
            }

            if (!peer.Online)
            {
                LogOnline(_logger, peer.Address);
            }

            peer.Online = true;
            peer.LastSeen = _time.GetUtcNow();
            if (answer.AckLinkSeq == next.LinkSeq)
            {
                next.Delivered?.Invoke();
            }

            bool more = await HandleAnswerAsync(peer, answer, next, cancellationToken).ConfigureAwait(false);
            if (!more && !peer.HasUrgent)
            {
                return;
            }
        }
    }

    /// <summary>Sends a frame and waits for the addressed validator's answer, resending on silence or damage.</summary>
    private async Task<LinkFrame?> ExchangeAsync(Peer peer, byte[] wire, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            while (_received.Reader.TryRead(out _))
            {
                // Stale answers (a late one after a timeout) must not be taken for this frame's.
            }

            await _line.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            await _line.FlushAsync(cancellationToken).ConfigureAwait(false);
            Observe(wire);
            using var timeout = new CancellationTokenSource(_options.ResponseTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                while (true)
                {
                    LinkFrame frame = await _received.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
                    if (frame.FromValidator && frame.Address == peer.Address)
                    {
                        return frame;
                    }
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                peer.Retries++;
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        return null;
    }

    private Outgoing NextFrame(Peer peer)
    {
        byte ackSeq = peer.LastValidatorLinkSeq;
        lock (_gate)
        {
            if (peer.Provisioning is { } provisioning)
            {
                byte seq = peer.StatefulSeq(MessageTypeKey.Provision);
                return new Outgoing(LinkFrames.Provision(peer.Address, seq, ackSeq, provisioning), seq, MessageType.Provision, null);
            }
        }

        if (peer.PendingVerdict is { } verdict)
        {
            byte seq = peer.StatefulSeq(MessageTypeKey.Verdict);
            return new Outgoing(LinkFrames.Verdict(peer.Address, seq, ackSeq, verdict.Seq, verdict.Verdict), seq, MessageType.Verdict, () => peer.PendingVerdict = null);
        }

        if (peer.NeedsConfig)
        {
            byte seq = peer.StatefulSeq(MessageTypeKey.Config);
            byte[] wire = LinkFrames.Config(peer.Address, seq, ackSeq, _time.GetUtcNow().ToUnixTimeMilliseconds(), _options.VerdictTimeoutMs, _options.RepeatWindowSeconds, _options.AntennaGain);
            return new Outgoing(wire, seq, MessageType.Config, () => peer.NeedsConfig = false);
        }

        if (peer.AckDue)
        {
            byte seq = peer.StatefulSeq(MessageTypeKey.Ack);
            uint upTo = peer.AckUpTo;
            return new Outgoing(LinkFrames.Ack(peer.Address, seq, ackSeq, upTo), seq, MessageType.Ack, () => peer.AckDue = peer.AckUpTo != upTo);
        }

        byte pingSeq = peer.StatefulSeq(MessageTypeKey.Ping);
        return new Outgoing(LinkFrames.Ping(peer.Address, pingSeq, ackSeq), pingSeq, MessageType.Ping, null);
    }

    /// <summary>Acts on a validator's answer; returns true when it has more to send at once.</summary>
    private async Task<bool> HandleAnswerAsync(Peer peer, LinkFrame answer, Outgoing sent, CancellationToken cancellationToken)
    {
        peer.LastValidatorLinkSeq = answer.LinkSeq;
        bool more = (answer.Flags & FrameFlags.More) != 0;
        switch (answer.Type)
        {
            case MessageType.Hello:
                ValidatorHello hello;
                try
                {
                    hello = LinkFrames.ReadHello(answer);
                }
                catch (InvalidDataException)
                {
                    return false;
                }

                peer.DeviceId = hello.DeviceId;
                peer.Door = hello.Door;
                peer.Firmware = hello.Firmware;
                peer.Backlog = hello.Backlog;
                peer.ChipOk = hello.ChipOk;
                if (sent.Type != MessageType.Config)
                {
                    // The validator (re)started and wants its configuration and clock.
                    peer.NeedsConfig = true;
                }

                LogHello(_logger, peer.Address, hello.DeviceId, hello.Firmware, hello.Backlog);
                if (sent.Type == MessageType.Provision && answer.AckLinkSeq == sent.LinkSeq)
                {
                    CompleteProvisioning(peer, hello);
                }

                return true;
            case MessageType.Ping when answer.PayloadLength >= 3:
                peer.Backlog = Firmware.Bytes.GetU16(answer.Raw, LinkProtocol.PayloadAt);
                var status = (ValidatorStatus)answer.Raw[LinkProtocol.PayloadAt + 2];
                peer.ChipOk = (status & ValidatorStatus.ChipOk) != 0;
                peer.StorageFull = (status & ValidatorStatus.StorageFull) != 0;
                peer.ClockSynced = (status & ValidatorStatus.ClockSynced) != 0;
                return false;
            case MessageType.Tap:
                if (!LinkFrames.TryReadTap(answer, peer.DeviceId, out ValidatorTap tap))
                {
                    Interlocked.Increment(ref _framesRejected);
                    return false;
                }

                if ((answer.Flags & FrameFlags.Ask) != 0)
                {
                    await DecideAsync(peer, tap, cancellationToken).ConfigureAwait(false);
                    return true;
                }

                await DeliverAsync(peer, tap, cancellationToken).ConfigureAwait(false);
                return true;
            default:
                return more;
        }
    }

    private async Task DecideAsync(Peer peer, ValidatorTap tap, CancellationToken cancellationToken)
    {
        if (peer.LastVerdict is { } cached && cached.Seq == tap.Seq)
        {
            // The validator asks again because our verdict frame was lost: resend, do not decide twice.
            peer.PendingVerdict = cached;
            return;
        }

        using var budget = new CancellationTokenSource(_options.VerdictBudget, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        try
        {
            var request = new ValidatorVerdictRequest(peer.DeviceId, peer.Address, tap.Door, tap.Seq, tap.At, CardTech.Iso14443A, tap.Uid);
            ValidatorVerdict verdict = await _handler.DecideAsync(request, linked.Token).ConfigureAwait(false);
            peer.LastVerdict = new PendingVerdict(tap.Seq, verdict);
            peer.PendingVerdict = peer.LastVerdict;
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogVerdictLate(_logger, peer.Address, tap.Seq);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogVerdictFailed(_logger, e, peer.Address, tap.Seq);
        }
    }

    private async Task DeliverAsync(Peer peer, ValidatorTap tap, CancellationToken cancellationToken)
    {
        if (peer.HasDelivered && tap.Seq <= peer.LastDeliveredSeq)
        {
            // Already stored: our ack was lost. Acknowledge again, deliver nothing.
            peer.Acknowledge(tap.Seq);
            return;
        }

        try
        {
            await _handler.StoreAsync(tap, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStoreFailed(_logger, e, peer.Address, tap.Seq);
            return;
        }

        peer.HasDelivered = true;
        peer.LastDeliveredSeq = tap.Seq;
        peer.TapsDelivered++;
        peer.Acknowledge(tap.Seq);
    }

    private void CompleteProvisioning(Peer peer, ValidatorHello hello)
    {
        lock (_gate)
        {
            ValidatorProvisioning? p = peer.Provisioning;
            peer.Provisioning = null;
            if (p is not null && p.NewAddress != peer.Address)
            {
                // Poll it at its new address from now on.
                _peers.Remove(peer);
                if (_peers.All(x => x.Address != p.NewAddress))
                {
                    Peer moved = AddPeer(p.NewAddress);
                    moved.DeviceId = hello.DeviceId;
                    moved.Door = hello.Door;
                    moved.Firmware = hello.Firmware;
                    moved.NeedsConfig = true;
                }
            }

            peer.ProvisionDone?.TrySetResult(hello with { Address = p?.NewAddress ?? peer.Address });
        }
    }

    private async Task ReadLineAsync(CancellationToken cancellationToken)
    {
        var decoder = new FrameDecoder();
        byte[] buffer = new byte[512];
        int rejectedSeen = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int n = await _line.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                for (int i = 0; i < n; i++)
                {
                    if (decoder.Push(buffer[i]))
                    {
                        var frame = new LinkFrame(decoder.Frame, decoder.Length);
                        _received.Writer.TryWrite(frame);
                        Notify(frame);
                    }
                    else if (decoder.Rejected != rejectedSeen)
                    {
                        rejectedSeen = decoder.Rejected;
                        Interlocked.Increment(ref _framesRejected);
                    }
                }
            }
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    private void Observe(byte[] wire)
    {
        if (FrameSeen is null)
        {
            return;
        }

        var decoder = new FrameDecoder();
        foreach (byte b in wire)
        {
            if (decoder.Push(b))
            {
                Notify(new LinkFrame(decoder.Frame, decoder.Length));
            }
        }
    }

    /// <summary>A monitor's handler that throws must not stop the line, nor the other handlers.</summary>
    private void Notify(LinkFrame frame)
    {
        if (FrameSeen is not { } seen)
        {
            return;
        }

        LinkFrameInfo info = LinkFrames.Info(frame, _time.GetUtcNow());
        foreach (Action<LinkFrameInfo> handler in seen.GetInvocationList().Cast<Action<LinkFrameInfo>>())
        {
            try
            {
                handler(info);
            }
            catch (Exception e)
            {
                LogObserverFailed(_logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "a FrameSeen handler failed")]
    private static partial void LogObserverFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "polling validator {Address} failed")]
    private static partial void LogTurnFailed(ILogger logger, Exception e, byte address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "validator {Address} ({DeviceId}) stopped answering")]
    private static partial void LogOffline(ILogger logger, byte address, string deviceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "validator {Address} answers")]
    private static partial void LogOnline(ILogger logger, byte address);

    [LoggerMessage(Level = LogLevel.Information, Message = "validator {Address} hello: {DeviceId} firmware {Firmware}, backlog {Backlog}")]
    private static partial void LogHello(ILogger logger, byte address, string deviceId, string firmware, int backlog);

    [LoggerMessage(Level = LogLevel.Warning, Message = "verdict for validator {Address} seq {Seq} not ready in time; the validator accepts offline")]
    private static partial void LogVerdictLate(ILogger logger, byte address, uint seq);

    [LoggerMessage(Level = LogLevel.Error, Message = "verdict for validator {Address} seq {Seq} failed")]
    private static partial void LogVerdictFailed(ILogger logger, Exception e, byte address, uint seq);

    [LoggerMessage(Level = LogLevel.Error, Message = "storing tap of validator {Address} seq {Seq} failed; it will be resent")]
    private static partial void LogStoreFailed(ILogger logger, Exception e, byte address, uint seq);

    private enum MessageTypeKey
    {
        Ping,
        Verdict,
        Config,
        Ack,
        Provision,
    }

    private sealed record PendingVerdict(uint Seq, ValidatorVerdict Verdict);

    private sealed record Outgoing(byte[] Wire, byte LinkSeq, MessageType Type, Action? Delivered);

    private sealed class Peer(byte address)
    {
        private byte _linkSeq;

        public byte Address { get; } = address;
        public string DeviceId { get; set; } = "";
        public byte Door { get; set; }
        public string Firmware { get; set; } = "";
        public bool Online { get; set; }
        public DateTimeOffset? LastSeen { get; set; }
        public DateTimeOffset NextOfflinePoll { get; set; }
        public int Backlog { get; set; }
        public bool ChipOk { get; set; }
        public bool ClockSynced { get; set; }
        public bool StorageFull { get; set; }
        public bool NeedsConfig { get; set; } = true;
        public bool AckDue { get; set; }
        public uint AckUpTo { get; private set; }
        public bool HasDelivered { get; set; }
        public uint LastDeliveredSeq { get; set; }
        public long TapsDelivered { get; set; }
        public long Retries { get; set; }
        public byte LastValidatorLinkSeq { get; set; }
        public PendingVerdict? PendingVerdict { get; set; }
        public PendingVerdict? LastVerdict { get; set; }
        public ValidatorProvisioning? Provisioning { get; set; }
        public TaskCompletionSource<ValidatorHello>? ProvisionDone { get; set; }
        public MessageTypeKey LastStateful { get; private set; }

        public bool HasUrgent => PendingVerdict is not null || Provisioning is not null;

        /// <summary>Each new frame gets the next link seq; a resend reuses the same bytes, so the same seq.</summary>
        public byte StatefulSeq(MessageTypeKey key)
        {
            LastStateful = key;
            _linkSeq++;
            return _linkSeq;
        }

        public void Acknowledge(uint seq)
        {
            if (seq > AckUpTo)
            {
                AckUpTo = seq;
            }

            AckDue = true;
        }

        public ValidatorState Snapshot() =>
            new(Address, DeviceId, Door, Firmware, Online, LastSeen, Backlog, ChipOk, ClockSynced, StorageFull, LastDeliveredSeq, TapsDelivered);
    }
}
